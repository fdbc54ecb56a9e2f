/* See criu.h. */
#include "criu.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "log.h"
#include "util.h"

#define CRIU_HINT "checkpoint and restore need CRIU (Debian: apt-get install criu)"

/* ---- the request's options ---- */

void criu_common_opts(struct pb_buf *o, const struct criu_flags *f, int images_fd, int work_fd,
                      const char *log_file) {
  pb_int32(o, CO_IMAGES_DIR_FD, images_fd);
  pb_int32(o, CO_WORK_DIR_FD, work_fd);
  pb_int32(o, CO_LOG_LEVEL, 4);
  pb_string(o, CO_LOG_FILE, log_file);
  pb_bool(o, CO_MANAGE_CGROUPS, true);
  pb_bool(o, CO_NOTIFY_SCRIPTS, true);
  pb_bool(o, CO_ORPHAN_PTS_MASTER, true);
  pb_bool(o, CO_SHELL_JOB, f->shell_job);
  pb_bool(o, CO_TCP_ESTABLISHED, f->tcp_established);
  pb_bool(o, CO_EXT_UNIX_SK, f->ext_unix_sk);
  pb_bool(o, CO_FILE_LOCKS, f->file_locks);
  pb_bool(o, CO_AUTO_DEDUP, f->auto_dedup);
  pb_bool(o, CO_LAZY_PAGES, f->lazy_pages);
  if (f->link_remap)
    pb_bool(o, CO_LINK_REMAP, true);
  if (f->tcp_skip_in_flight)
    pb_bool(o, CO_TCP_SKIP_IN_FLIGHT, true);
  if (f->empty_ns)
    pb_varint(o, CO_EMPTY_NS, f->empty_ns);
  if (f->manage_cgroups_mode)
    pb_varint(o, CO_MANAGE_CGROUPS_MODE, (uint64_t)f->manage_cgroups_mode);
}

static void pair(struct pb_buf *o, uint32_t field, const char *key, const char *val, int fd) {
  struct pb_buf m = {0};
  pb_string(&m, 1, key);
  if (val)
    pb_string(&m, 2, val);
  else
    pb_int32(&m, 2, fd);
  pb_message(o, field, &m);
  pb_buf_free(&m);
}

void criu_ext_mnt(struct pb_buf *o, const char *key, const char *val) {
  pair(o, CO_EXT_MNT, key, val, 0);
}

void criu_inherit_fd(struct pb_buf *o, const char *key, int fd) {
  pair(o, CO_INHERIT_FD, key, NULL, fd);
}

void criu_cg_root(struct pb_buf *o, const char *ctrl, const char *path) {
  pair(o, CO_CG_ROOT, ctrl, path, 0);
}

/* ---- finding and checking criu ---- */

static bool criu_in_path(void) {
  const char *path = getenv("PATH");
  char buf[4096];
  if (path == NULL)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  while (*path) {
    size_t n = strcspn(path, ":");
    if (n > 0 && n < sizeof(buf) - 6) {
      snprintf(buf, sizeof(buf), "%.*s/criu", (int)n, path);
      if (access(buf, X_OK) == 0)
        return true;
    }
    path += n + (path[n] == ':');
  }
  return false;
}

/* Runs `criu ARG`, its stdout and stderr into *out; returns its exit status (-1: not run). */
static int criu_output(const char *arg, char **out) {
  int p[2];
  *out = NULL;
  if (pipe2(p, O_CLOEXEC) < 0)
    return -1;
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return -1;
  }
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
      _exit(127);
    execlp("criu", "criu", arg, (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  size_t len = 0, cap = 0;
  char *buf = NULL;
  for (;;) {
    if (len + 1024 > cap) {
      char *n = realloc(buf, cap = cap ? cap * 2 : 4096);
      if (n == NULL)
        break;
      buf = n;
    }
    ssize_t r = read(p[0], buf + len, cap - len - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    len += (size_t)r;
  }
  close(p[0]);
  if (buf)
    buf[len] = '\0';
  *out = buf;
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The text with its newlines as "; " and without trailing blanks, for one error line. */
static void one_line(char *s) {
  size_t n = strlen(s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
    s[--n] = '\0';
  for (char *p = s; *p; p++)
    if (*p == '\n')
      *p = ' ';
}

int criu_available(struct berr **err) {
  if (!criu_in_path())
    return berr_code(err, ENOENT, "criu: not found in $PATH: " CRIU_HINT);
  return 0;
}

/* After a failed request: `criu check` says whether the kernel (or the criu installed) is the
 * cause. It is not run before every request: its probing (90-160 ms in the TCG guest on a
 * quiet machine, more under load) fell inside a migration's downtime on both sides; runc does
 * not run it either. Returns -1 with
 * check's error in *err (the request's own, what, appended) when check fails, else 0. */
static int criu_diagnose(const char *what, struct berr **err) {
  cleanup_free char *out = NULL;
  int rc = criu_output("check", &out);
  if (rc == 0)
    return 0;
  if (out)
    one_line(out);
  if (rc < 0 || rc == 127)
    return berr_code(err, ENOEXEC, "criu: cannot run it: " CRIU_HINT " (%s)", what);
  return berr_code(err, EOPNOTSUPP,
                   "criu check failed (exit %d): this kernel lacks what CRIU needs: %s (%s)", rc,
                   out && *out ? out : "no output", what);
}

char *criu_version(void) {
  if (!criu_in_path())
    return NULL;
  cleanup_free char *out = NULL;
  if (criu_output("--version", &out) != 0 || out == NULL)
    return NULL;
  const char *v = strstr(out, "Version: ");
  if (v == NULL)
    return NULL;
  v += strlen("Version: ");
  return strndup(v, strcspn(v, " \n"));
}

/* ---- one request ---- */

static const char *type_name(int type) {
  switch (type) {
  case CRIU_DUMP: return "dump";
  case CRIU_PRE_DUMP: return "pre-dump";
  case CRIU_RESTORE: return "restore";
  default: return "request";
  }
}

/* The child: the fds it is given, exec. */
static void criu_child(const struct criu_run *r, int server) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (r->null_stdio) {
    int null = open("/dev/null", O_RDWR);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
      _exit(126);
  }
  int keep[64];
  size_t n = 0;
  keep[n++] = server;
  for (size_t i = 0; i < r->n_pass && n < 64; i++)
    keep[n++] = r->pass_fds[i];
  for (size_t i = 0; i < n; i++) {
    int fl = fcntl(keep[i], F_GETFD);
    if (fl < 0 || fcntl(keep[i], F_SETFD, fl & ~FD_CLOEXEC) < 0)
      _exit(126);
  }
  char fd[16];
  snprintf(fd, sizeof(fd), "%d", server);
  execlp("criu", "criu", "swrk", fd, (char *)NULL);
  log_error("criu: exec: %s", strerror(errno));
  _exit(127);
}

/* The last two "Error" lines of CRIU's log (empty when there is none). */
static void log_errors(const char *path, char *out, size_t len) {
  out[0] = '\0';
  cleanup_free char *text = NULL;
  size_t n;
  if (path == NULL || read_file_at(AT_FDCWD, path, &text, &n, NULL) < 0)
    return;
  const char *last[2] = {NULL, NULL};
  for (char *line = text; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    if (strstr(line, "Error (")) {
      last[0] = last[1];
      last[1] = line;
    }
    line = nl ? nl + 1 : NULL;
  }
  snprintf(out, len, "%s%s%s", last[0] ? last[0] : "", last[0] ? "; " : "",
           last[1] ? last[1] : "");
}

static int fail_with_log(const struct criu_run *r, struct berr **err, const char *what) {
  char errs[1024];
  log_errors(r->log_path, errs, sizeof(errs));
  return berr_code(err, EIO, "criu %s failed: %s%s%s (log: %s)", type_name(r->type), what,
                   errs[0] ? ": " : "", errs, r->log_path ? r->log_path : "none");
}

/* The cgroup CRIU runs in, as cg_root entries: the restored tasks go below it. */
static void add_cg_roots(struct pb_buf *o, pid_t pid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
  cleanup_free char *text = NULL;
  size_t n;
  if (read_file_at(AT_FDCWD, path, &text, &n, NULL) < 0)
    return;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL)
      continue;
    *c2 = '\0';
    criu_cg_root(o, c1 + 1, c2 + 1);
  }
}

struct criu_resp {
  int type;
  bool success;
  int cr_errno;
  char errmsg[512];
  char script[64];
  pid_t notify_pid, restore_pid;
};

static int parse_resp(const uint8_t *data, size_t len, struct criu_resp *out) {
  struct pb_reader r = {data, data + len}, s;
  struct pb_field f, g;
  int k;
  memset(out, 0, sizeof(*out));
  while ((k = pb_next(&r, &f)) == 1) {
    switch (f.field) {
    case 1: out->type = (int)f.v; break;
    case 2: out->success = f.v != 0; break;
    case 7: out->cr_errno = (int)f.v; break;
    case 9:
      snprintf(out->errmsg, sizeof(out->errmsg), "%.*s", (int)f.len, (const char *)f.data);
      break;
    case 4: /* criu_restore_resp */
    case 5: /* criu_notify */
      if (f.wire != PB_LEN)
        return -1;
      s = pb_sub(&f);
      while ((k = pb_next(&s, &g)) == 1) {
        if (f.field == 4 && g.field == 1)
          out->restore_pid = (pid_t)g.v;
        else if (f.field == 5 && g.field == 1 && g.wire == PB_LEN)
          snprintf(out->script, sizeof(out->script), "%.*s", (int)g.len, (const char *)g.data);
        else if (f.field == 5 && g.field == 2)
          out->notify_pid = (pid_t)g.v;
      }
      if (k < 0)
        return -1;
      break;
    }
  }
  return k;
}

static int send_req(int sock, int type, const struct pb_buf *opts, bool notify_ok,
                    struct berr **err) {
  struct pb_buf req = {0};
  pb_varint(&req, 1, (uint64_t)type);
  if (opts)
    pb_message(&req, 2, opts);
  if (type == CRIU_NOTIFY)
    pb_bool(&req, 3, notify_ok);
  int r = 0;
  if (req.oom)
    r = berr_set(err, ENOMEM, "criu request");
  else if (send(sock, req.data, req.len, MSG_NOSIGNAL) < 0)
    r = berr_errno(err, "criu: send the request");
  pb_buf_free(&req);
  return r;
}

/* One answer, and the fd CRIU may send along (orphan-pts-master). */
static int recv_resp(int sock, struct criu_resp *resp, int *fd, struct berr **err) {
  static uint8_t buf[64 * 1024];
  union {
    char b[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                     .msg_controllen = sizeof(ctl.b)};
  ssize_t n;
  *fd = -1;
  while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0)
    if (errno != EINTR)
      return berr_errno(err, "criu: receive its answer");
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
      c->cmsg_len == CMSG_LEN(sizeof(int)))
    memcpy(fd, CMSG_DATA(c), sizeof(int));
  if (n == 0)
    return berr_code(err, EPIPE, "criu exited without answering");
  if ((size_t)n == sizeof(buf) || (m.msg_flags & MSG_TRUNC) || parse_resp(buf, (size_t)n, resp) < 0)
    return berr_code(err, EPROTO, "criu: malformed answer");
  return 0;
}

static int converse(struct criu_run *r, int sock, const struct pb_buf *opts, struct berr **err) {
  if (send_req(sock, r->type, opts, false, err) < 0)
    return -1;
  for (;;) {
    struct criu_resp resp;
    int fd;
    if (recv_resp(sock, &resp, &fd, err) < 0)
      return -1;
    if (!resp.success) {
      if (fd >= 0)
        close(fd);
      char what[600];
      if (resp.errmsg[0])
        snprintf(what, sizeof(what), "%s", resp.errmsg);
      else
        snprintf(what, sizeof(what), "errno %d (%s)", resp.cr_errno,
                 resp.cr_errno ? strerror(resp.cr_errno) : "none given");
      return fail_with_log(r, err, what);
    }
    if (resp.type != CRIU_NOTIFY) {
      if (fd >= 0)
        close(fd);
      r->restored_pid = resp.restore_pid;
      return 0;
    }
    log_debug("criu: notification %s (pid %d)", resp.script, (int)resp.notify_pid);
    if (r->notify && r->notify(r->arg, resp.script, resp.notify_pid, fd, err) < 0)
      return -1;
    if (!r->notify && fd >= 0)
      close(fd);
    if (send_req(sock, CRIU_NOTIFY, NULL, true, err) < 0)
      return -1;
  }
}

int criu_run(struct criu_run *r, struct berr **err) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return berr_errno(err, "criu: socketpair");
  cleanup_close int sock = sv[0];
  if (r->root_src && mount(r->root_src, r->root_dst, NULL, MS_BIND | MS_REC, NULL) < 0) {
    close(sv[1]);
    return berr_errno(err, "criu: bind the rootfs on %s", r->root_dst);
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(sv[1]);
    if (r->root_src)
      umount2(r->root_dst, MNT_DETACH);
    return berr_errno(err, "criu: fork");
  }
  if (pid == 0)
    criu_child(r, sv[1]);
  close(sv[1]);
  struct pb_buf opts = {0};
  cleanup_berr struct berr *e = NULL; /* the request's error, for criu_diagnose to explain */
  int rc = 0;
  if (r->cgroup_path && cgroup_enter_path(r->cgroup_path, pid, &e) < 0)
    rc = -1;
  if (rc == 0) {
    /* a copy of the caller's options with the cgroup roots appended */
    if (r->opts->len) {
      opts.data = malloc(r->opts->len);
      if (opts.data == NULL)
        opts.oom = true;
      else
        memcpy(opts.data, r->opts->data, opts.len = opts.cap = r->opts->len);
    }
    if (r->cgroup_path)
      add_cg_roots(&opts, pid);
    rc = opts.oom ? berr_set(&e, ENOMEM, "criu request") : converse(r, sock, &opts, &e);
  }
  pb_buf_free(&opts);
  close(steal_fd(&sock)); /* criu ends once its socket is closed */
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      break;
  if (r->root_src && umount2(r->root_dst, MNT_DETACH) < 0)
    log_warn("criu: unmount %s: %s", r->root_dst, strerror(errno));
  /* pre-dump: criu waits for the next request of the series; our close ends it */
  if (rc == 0 && r->type != CRIU_PRE_DUMP && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
    rc = fail_with_log(r, &e, "criu exited with an error after answering");
  if (rc == 0)
    return 0;
  if (criu_diagnose(berr_message(&e), err) < 0)
    return -1;
  return berr_move(err, &e);
}
