/* Resolving paths inside the rootfs: see pathsafe.h. */
#include "pathsafe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

#define MAX_SYMLINKS 40
#define OPENAT2_RETRIES 64

static bool force_fallback;
static bool no_openat2;

void pathsafe_force_fallback(bool on) { force_fallback = on; }

const char *pathsafe_fdpath(int fd, char buf[PATHSAFE_FDPATH_MAX]) {
  snprintf(buf, PATHSAFE_FDPATH_MAX, "/proc/self/fd/%d", fd);
  return buf;
}

static int openat2_resolve(int rootfd, const char *path, int flags, unsigned long long resolve) {
  struct open_how how = {
      .flags = (unsigned long long)(flags | O_CLOEXEC),
      .resolve = resolve,
  };
  /* EAGAIN: a rename or mount raced with ".." resolution; the kernel asks to retry. */
  for (int i = 0; i < OPENAT2_RETRIES; i++) {
    int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
    if (fd >= 0 || errno != EAGAIN)
      return fd;
  }
  return -1;
}

static int openat2_in_root(int rootfd, const char *path, int flags) {
  return openat2_resolve(rootfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

/* Turns the O_PATH fd of the final object into one opened with `flags`. */
static int reopen_final(int *fd, int flags) {
  struct stat st;
  if (fstat(*fd, &st) < 0)
    return -1;
  if ((flags & O_DIRECTORY) && !S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  if (flags & O_PATH)
    return steal_fd(fd);
  if (S_ISLNK(st.st_mode)) {
    errno = ELOOP; /* O_NOFOLLOW on a symlink without O_PATH */
    return -1;
  }
  char p[PATHSAFE_FDPATH_MAX];
  if (S_ISDIR(st.st_mode))
    return openat(*fd, ".", (flags & ~O_NOFOLLOW) | O_CLOEXEC);
  return open(pathsafe_fdpath(*fd, p), (flags & ~O_NOFOLLOW) | O_CLOEXEC);
}

/* Replaces *rest by "target/rest" after a symlink; returns 0 or -1 with errno. */
static int splice_link(int linkfd, char **buf, char **rest, int *cur, int rootfd) {
  char target[PATH_MAX];
  ssize_t n = readlinkat(linkfd, "", target, sizeof(target) - 1);
  if (n < 0)
    return -1;
  target[n] = '\0';
  char *next = NULL;
  if (asprintf(&next, "%s/%s", target, *rest) < 0)
    return -1;
  free(*buf);
  *buf = *rest = next;
  if (target[0] == '/') {
    int r = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (r < 0)
      return -1;
    close(*cur);
    *cur = r;
  }
  return 0;
}

/* The fallback: one component at a time with O_PATH|O_NOFOLLOW; symlinks are
 * spliced into the remaining path and absolute ones restart at the root;
 * ".." at the root stays at the root. */
static int walk_in_root(int rootfd, const char *path, int flags) {
  struct stat rootst, st;
  if (fstat(rootfd, &rootst) < 0)
    return -1;
  cleanup_close int cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *buf = strdup(path);
  if (cur < 0 || buf == NULL)
    return -1;
  char *rest = buf;
  int links = 0;
  for (;;) {
    while (*rest == '/')
      rest++;
    if (*rest == '\0')
      break;
    char *comp = rest, *slash = strchr(rest, '/');
    rest = slash ? slash + 1 : comp + strlen(comp);
    if (slash)
      *slash = '\0';
    bool last = rest[strspn(rest, "/")] == '\0';
    if (strcmp(comp, ".") == 0)
      continue;
    if (strcmp(comp, "..") == 0) {
      if (fstat(cur, &st) < 0)
        return -1;
      if (st.st_dev == rootst.st_dev && st.st_ino == rootst.st_ino)
        continue;
    }
    cleanup_close int next = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 || fstat(next, &st) < 0)
      return -1;
    if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
      if (++links > MAX_SYMLINKS) {
        errno = ELOOP;
        return -1;
      }
      if (splice_link(next, &buf, &rest, &cur, rootfd) < 0)
        return -1;
      continue;
    }
    close(cur);
    cur = steal_fd(&next);
  }
  return reopen_final(&cur, flags);
}

int pathsafe_openat(int rootfd, const char *path, int flags) {
  if (flags & O_CREAT) {
    errno = EINVAL;
    return -1;
  }
  if (path[0] == '\0')
    path = ".";
  if (!force_fallback && !no_openat2) {
    int fd = openat2_in_root(rootfd, path, flags);
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
      return fd;
    /* ENOSYS: old kernel; EPERM: a seccomp profile denying openat2. */
    if (errno == ENOSYS)
      no_openat2 = true;
  }
  return walk_in_root(rootfd, path, flags);
}

/* Creates `name` in `parentfd` as a directory or an empty file; EEXIST is fine. */
static int create_one(int parentfd, const char *name, enum pathsafe_kind kind) {
  if (kind == PATHSAFE_DIR)
    return mkdirat(parentfd, name, 0755) < 0 && errno != EEXIST ? -1 : 0;
  int fd = openat(parentfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    return errno == EEXIST ? 0 : -1;
  close(fd);
  return 0;
}

/* Path for a retry after meeting a dangling symlink at path[pos..end): its
 * target (relative ones from the directory holding it), then the rest. */
static char *dangling_restart(int parent, const char *name, const char *path, size_t pos,
                              size_t end) {
  char target[PATH_MAX];
  char *r = NULL;
  ssize_t n = readlinkat(parent, name, target, sizeof(target) - 1);
  if (n <= 0)
    return NULL;
  target[n] = '\0';
  int dirlen = target[0] == '/' ? 0 : (int)pos;
  if (asprintf(&r, "%.*s%s%s", dirlen, path, target, path + end) < 0)
    return NULL;
  return r;
}

/* One pass of mkpath; on a dangling symlink sets *restart to the path to retry. */
static int mkpath_once(int rootfd, const char *path, enum pathsafe_kind kind, char **restart,
                       struct berr **err) {
  cleanup_free char *prefix = strdup(path);
  cleanup_close int parent = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (prefix == NULL || parent < 0)
    return berr_errno(err, "resolve %s", path);
  size_t len = strlen(path), pos = 0;
  while (pos < len) {
    while (pos < len && path[pos] == '/')
      pos++;
    if (pos == len)
      break;
    size_t end = pos + strcspn(path + pos, "/");
    memcpy(prefix, path, end);
    prefix[end] = '\0';
    bool last = path[end + strspn(path + end, "/")] == '\0';
    cleanup_close int next = pathsafe_openat(rootfd, prefix, O_PATH);
    if (next < 0 && errno == ENOENT) {
      const char *name = prefix + pos;
      if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return berr_set(err, ENOENT, "resolve %s", prefix);
      if (create_one(parent, name, last ? kind : PATHSAFE_DIR) < 0)
        return berr_errno(err, "create %s", prefix);
      next = pathsafe_openat(rootfd, prefix, O_PATH);
      /* a dangling symlink: create what it points to, inside the root */
      if (next < 0 && errno == ENOENT && (*restart = dangling_restart(parent, name, path, pos, end)))
        return -1;
    }
    if (next < 0)
      return berr_errno(err, "resolve %s", prefix);
    close(parent);
    parent = steal_fd(&next);
    pos = end;
  }
  return steal_fd(&parent);
}

int pathsafe_mkpath(int rootfd, const char *path, enum pathsafe_kind kind, struct berr **err) {
  int fd = pathsafe_openat(rootfd, path, O_PATH);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    return berr_errno(err, "resolve %s", path);
  cleanup_free char *cur = strdup(path);
  for (int links = 0; cur != NULL && links <= MAX_SYMLINKS; links++) {
    char *restart = NULL;
    fd = mkpath_once(rootfd, cur, kind, &restart, err);
    if (fd >= 0 || restart == NULL)
      return fd;
    free(cur);
    cur = restart;
  }
  return berr_set(err, cur ? ELOOP : ENOMEM, "resolve %s", path);
}

int pathsafe_mkpath_plain(int rootfd, const char *path, enum pathsafe_kind kind) {
  const unsigned long long plain = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS;
  if (force_fallback || no_openat2) {
    errno = ELOOP; /* the walk cannot tell: the caller takes the general way */
    return -1;
  }
  int fd = openat2_resolve(rootfd, path, O_PATH, plain);
  if (fd >= 0 || errno != ENOENT)
    return fd;
  /* only the last component missing (a mountpoint in a fresh /dev): make it in its parent */
  char parent[PATH_MAX];
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  size_t plen = slash ? (size_t)(slash - path) : 0;
  if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
      plen >= sizeof(parent)) {
    errno = ENOENT;
    return -1;
  }
  memcpy(parent, path, plen);
  parent[plen] = '\0';
  cleanup_close int dir = openat2_resolve(rootfd, plen ? parent : "/", O_PATH | O_DIRECTORY, plain);
  if (dir < 0 || create_one(dir, name, kind) < 0)
    return -1;
  return openat2_resolve(rootfd, path, O_PATH, plain);
}

int pathsafe_open_parent(int rootfd, const char *path, bool create, char **name,
                         struct berr **err) {
  cleanup_free char *copy = strdup(path);
  if (copy == NULL)
    return berr_errno(err, "resolve %s", path);
  size_t n = strlen(copy);
  while (n > 1 && copy[n - 1] == '/')
    copy[--n] = '\0';
  char *slash = strrchr(copy, '/');
  const char *base = slash ? slash + 1 : copy;
  if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
    return berr_set(err, EINVAL, "%s: not a path to a file", path);
  *name = strdup(base);
  if (*name == NULL)
    return berr_errno(err, "resolve %s", path);
  if (slash)
    slash[slash == copy ? 1 : 0] = '\0';
  const char *dir = slash ? copy : ".";
  int fd = create ? pathsafe_mkpath(rootfd, dir, PATHSAFE_DIR, err)
                  : pathsafe_openat(rootfd, dir, O_PATH | O_DIRECTORY);
  if (fd < 0 && !create)
    berr_errno(err, "resolve %s", dir);
  if (fd < 0) {
    free(steal_ptr(name));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
    close(fd);
    free(steal_ptr(name));
    return berr_set(err, ENOTDIR, "resolve %s", dir);
  }
  return fd;
}

void pathsafe_clean_path(const char *in, char *out, size_t outlen) {
  size_t o = 0;
  out[0] = '\0';
  while (*in) {
    while (*in == '/')
      in++;
    size_t n = strcspn(in, "/");
    if (n == 2 && strncmp(in, "..", 2) == 0) {
      while (o > 0 && out[--o] != '/')
        ;
      out[o] = '\0';
    } else if (n > 0 && !(n == 1 && in[0] == '.') && o + n + 2 < outlen) {
      out[o++] = '/';
      memcpy(out + o, in, n);
      o += n;
      out[o] = '\0';
    }
    in += n;
  }
  if (o == 0)
    snprintf(out, outlen, "/");
}

int pathsafe_open_source(int basefd, const char *rootfs, const char *src, int flags) {
  char full[PATH_MAX], clean[PATH_MAX];
  if (rootfs == NULL || src[0] == '/') {
    snprintf(full, sizeof(full), "%s", src);
  } else {
    char base[PATH_MAX], p[PATHSAFE_FDPATH_MAX];
    ssize_t n = basefd == AT_FDCWD ? (getcwd(base, sizeof(base)) ? (ssize_t)strlen(base) : -1)
                                   : readlink(pathsafe_fdpath(basefd, p), base, sizeof(base) - 1);
    if (n < 0)
      return -1;
    base[n] = '\0';
    snprintf(full, sizeof(full), "%s/%s", base, src);
  }
  pathsafe_clean_path(full, clean, sizeof(clean));
  size_t rl = rootfs ? strlen(rootfs) : 0;
  while (rl > 1 && rootfs[rl - 1] == '/')
    rl--;
  if (rootfs && strncmp(clean, rootfs, rl) == 0 && (clean[rl] == '/' || clean[rl] == '\0')) {
    cleanup_close int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
      return -1;
    return pathsafe_openat(rootfd, clean[rl] ? clean + rl : "/", flags);
  }
  return openat(basefd, src, flags | O_CLOEXEC);
}
