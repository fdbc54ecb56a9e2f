#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO; /* nothing written: retrying would spin */
      return -1;
    }
    p += n;
    len -= n;
  }
  return 0;
}

int read_fd_all(int fd, const char *what, char **out, size_t *len, struct berr **err) {
  size_t cap = 4096, used = 0;
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size > 0) {
    if (S_ISREG(st.st_mode) && (size_t)st.st_size > INPUT_MAX)
      return berr_code(err, EFBIG, "%s: larger than %zu MiB", what, INPUT_MAX >> 20);
    if ((size_t)st.st_size <= INPUT_MAX)
      cap = st.st_size + 1;
  }
  cleanup_free char *buf = malloc(cap);
  if (buf == NULL)
    return berr_set(err, ENOMEM, "read %s", what);
  for (;;) {
    if (used + 1 >= cap) {
      if (used >= INPUT_MAX)
        return berr_code(err, EFBIG, "%s: larger than %zu MiB", what, INPUT_MAX >> 20);
      size_t ncap = cap * 2 > INPUT_MAX + 1 ? INPUT_MAX + 1 : cap * 2;
      char *n = realloc(buf, ncap);
      if (n == NULL)
        return berr_set(err, ENOMEM, "read %s", what);
      buf = n;
      cap = ncap;
    }
    ssize_t r = read(fd, buf + used, cap - used - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return berr_errno(err, "read %s", what);
    if (r == 0)
      break;
    used += r;
  }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = steal_ptr(&buf);
  return 0;
}

int read_file_at(int dirfd, const char *path, char **out, size_t *len, struct berr **err) {
  cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berr_errno(err, "open %s", path);
  return read_fd_all(fd, path, out, len, err);
}

int write_file_at(int dirfd, const char *path, const char *data, size_t len, struct berr **err) {
  cleanup_close int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return berr_errno(err, "open %s", path);
  if (write_all(fd, data, len) < 0)
    return berr_errno(err, "write %s", path);
  return 0;
}

int write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len, mode_t mode,
                         struct berr **err) {
  char tmp[256];
  if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int)sizeof(tmp))
    return berr_set(err, ENAMETOOLONG, "write %s", name);
  cleanup_close int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return berr_errno(err, "create %s", tmp);
  if (write_all(fd, data, len) < 0) {
    int e = errno;
    unlinkat(dirfd, tmp, 0);
    return berr_set(err, e, "write %s", name);
  }
  if (renameat(dirfd, tmp, dirfd, name) < 0) {
    int e = errno;
    unlinkat(dirfd, tmp, 0);
    return berr_set(err, e, "rename %s", name);
  }
  return 0;
}

/* An unnamed file (O_TMPFILE), written, then linked in under `name`: a kill at any point leaves
 * the whole file or nothing, never a temporary name. -1 where the name exists (linkat does not
 * replace), or the filesystem has no O_TMPFILE. */
static int link_new_file_at(int dfd, const char *name, const char *data, size_t len,
                            mode_t mode) {
  cleanup_close int fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0 || write_all(fd, data, len) < 0)
    return -1;
  if (linkat(fd, "", dfd, name, AT_EMPTY_PATH) == 0)
    return 0;
  if (errno != ENOENT && errno != EPERM)
    return -1;
  /* AT_EMPTY_PATH wants CAP_DAC_READ_SEARCH: the /proc link of the fd does not */
  char p[64];
  snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
  return linkat(AT_FDCWD, p, dfd, name, AT_SYMLINK_FOLLOW);
}

int pid_file_write(const char *path, pid_t pid, struct berr **err) {
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%d", pid);
  cleanup_free char *copy = strdup(path);
  char *slash = copy ? strrchr(copy, '/') : NULL;
  const char *dir = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
  const char *name = slash ? slash + 1 : path;
  cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return berr_errno(err, "--pid-file %s", path);
  if (link_new_file_at(dfd, name, buf, (size_t)n, 0644) == 0)
    return 0;
  if (write_file_atomic_at(dfd, name, buf, n, 0644, err) < 0)
    return berr_prefix(err, "--pid-file");
  return 0;
}

unsigned long long proc_start_time(pid_t pid, bool *zombie) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  char buf[1024];
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* the command name may hold spaces and ')': fields start after the last ')' */
  char *p = strrchr(buf, ')');
  if (p == NULL || p[1] == '\0')
    return 0;
  p += 2; /* field 3: state */
  if (zombie)
    *zombie = (*p == 'Z' || *p == 'X');
  for (int field = 3; field < 22 && p; field++) {
    p = strchr(p, ' ');
    if (p)
      p++;
  }
  return p ? strtoull(p, NULL, 10) : 0;
}

bool proc_is_same(pid_t pid, unsigned long long start_time) {
  if (pid <= 0)
    return false;
  bool zombie = false;
  unsigned long long t = proc_start_time(pid, &zombie);
  return t != 0 && t == start_time && !zombie;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian; Howard Hinnant's days_from_civil
 * inverse). gmtime_r would do, but glibc's calls tzset, which reads /etc/localtime even for a
 * UTC time (7 syscalls in every create). */
static void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  unsigned doe = (unsigned)(days - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void rfc3339_format(const struct timespec *ts, char *buf, size_t len) {
  int64_t days = ts->tv_sec / 86400, secs = ts->tv_sec % 86400;
  if (secs < 0) {
    secs += 86400;
    days--;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02d.%09ldZ", (long long)y, m, d,
           (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), ts->tv_nsec);
}

char *rfc3339_now(void) {
  struct timespec now;
  char buf[64];
  clock_gettime(CLOCK_REALTIME, &now);
  rfc3339_format(&now, buf, sizeof(buf));
  return strdup(buf);
}

static int remove_children(int dfd, struct berr **err) {
  cleanup_dir DIR *d = fdopendir(dfd);
  if (d == NULL) {
    close(dfd);
    return berr_errno(err, "opendir");
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (remove_tree_at(dirfd(d), de->d_name, err) < 0)
      return -1;
  }
  return 0;
}

int remove_tree_at(int dirfd, const char *name, struct berr **err) {
  if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return berr_errno(err, "remove %s", name);
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berr_errno(err, "open %s", name);
  if (remove_children(fd, err) < 0)
    return berr_prefix(err, "remove %s", name);
  if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return berr_errno(err, "remove %s", name);
  return 0;
}

int pidfd_open_pid(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

pid_t clone_into_cgroup(uint64_t flags, int cgroup_fd) {
  struct clone_args_v2 {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
  } a = {.flags = flags | 0x200000000ULL /* CLONE_INTO_CGROUP */,
         /* clone3 refuses an exit signal with CLONE_PARENT: the child gets the caller's */
         .exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD,
         .cgroup = (uint64_t)cgroup_fd};
  return (pid_t)syscall(SYS_clone3, &a, sizeof(a));
}

int pidfd_signal(int pidfd, int sig) {
  return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int pidfd_wait_exit(int pidfd, int timeout_ms) {
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  for (;;) {
    int r = poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -1;
    return r > 0 ? 1 : 0;
  }
}

int fds_cloexec_from(int from) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, from, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) == 0)
    return 0;
#endif
  cleanup_dir DIR *d = opendir("/proc/self/fd");
  if (d == NULL)
    return -1;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    int fd = atoi(de->d_name);
    if (de->d_name[0] == '.' || fd < from || fd == dirfd(d))
      continue;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  return 0;
}

/* The layout send_fd and recv_fd share: one iovec and room for one SCM_RIGHTS fd. */
struct fd_msg {
  struct iovec iov;
  struct msghdr m;
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl; /* last: clang sees CMSG_SPACE as variable sized */
};

static void fd_msg_init(struct fd_msg *f, void *data, size_t len) {
  memset(f, 0, sizeof(*f));
  f->iov = (struct iovec){.iov_base = data, .iov_len = len};
  f->m = (struct msghdr){.msg_iov = &f->iov, .msg_iovlen = 1, .msg_control = f->ctl.buf,
                         .msg_controllen = sizeof(f->ctl.buf)};
}

int send_fd(int sock, int fd, const void *data, size_t len, struct berr **err) {
  char dummy = '0';
  struct fd_msg f;
  fd_msg_init(&f, len ? (void *)data : &dummy, len ? len : 1);
  struct cmsghdr *c = CMSG_FIRSTHDR(&f.m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  while (sendmsg(sock, &f.m, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return berr_errno(err, "send file descriptor");
  return 0;
}

int recv_fd(int sock, int flags, int *out, struct berr **err) {
  char data[256];
  struct fd_msg f;
  fd_msg_init(&f, data, sizeof(data));
  ssize_t n;
  while ((n = recvmsg(sock, &f.m, flags | MSG_CMSG_CLOEXEC)) < 0)
    if (errno != EINTR)
      return berr_errno(err, "receive file descriptor");
  if (n == 0)
    return berr_code(err, EPIPE, "receive file descriptor: the sender closed the socket");
  struct cmsghdr *c = CMSG_FIRSTHDR(&f.m);
  if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
      c->cmsg_len != CMSG_LEN(sizeof(int)))
    return berr_code(err, EBADMSG, "receive file descriptor: no file descriptor in message");
  memcpy(out, CMSG_DATA(c), sizeof(int));
  return 0;
}

int unix_connect(const char *path, int *out, struct berr **err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof(addr.sun_path))
    return berr_set(err, ENAMETOOLONG, "socket path %s", path);
  strcpy(addr.sun_path, path);
  cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berr_errno(err, "socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
    return berr_errno(err, "connect to %s", path);
  *out = steal_fd(&fd);
  return 0;
}

void mountinfo_unescape(char *s) {
  char *o = s;
  for (; *s; s++) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
        s[3] <= '7') {
      *o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
      s += 3;
    } else {
      *o++ = *s;
    }
  }
  *o = '\0';
}
