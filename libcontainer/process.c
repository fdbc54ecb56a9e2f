/* The container process's identity and limits: executable lookup, rlimits,
 * oom_score_adj, uid/gid/groups/umask, no_new_privs. */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "pathsafe.h"
#include "tables.h"
#include "procfs.h"
#include "util.h"

/* An error with errno `code` whose message is exactly `fmt` (no strerror appended). */
__attribute__((format(printf, 3, 4))) static int set_coded(struct berr **err, int code,
                                                           const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  berr_vcode(err, code, fmt, ap);
  va_end(ap);
  return -1;
}

/* A failed lookup of the executable: the exit status engines map (127 not
 * found, 126 not executable), set here and nowhere else. */
static int lookup_failed(struct berr **err) {
  if (berr_errcode(err) == ENOENT)
    berr_set_exit_status(err, 127);
  else if (berr_errcode(err) == EACCES)
    berr_set_exit_status(err, 126);
  return -1;
}

/* ---- executable lookup ---- */

/* 0 when path is a regular file executable by us; -1 with errno otherwise
 * (EACCES for a directory or a file without x permission). */
static int check_executable(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0)
    return -1;
  if (!S_ISREG(st.st_mode)) {
    errno = EACCES;
    return -1;
  }
  if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0)
    return -1;
  return 0;
}

/* The value of the last PATH= in env, or NULL. */
static const char *env_path(const struct spec_string_list *env) {
  const char *path = NULL;
  for (size_t i = 0; i < env->len && env->items != NULL && env->items[i] != NULL; i++)
    if (strncmp(env->items[i], "PATH=", 5) == 0)
      path = env->items[i] + 5;
  return path;
}

static int search_path(const char *name, const char *path_var, char **out, struct berr **err) {
  cleanup_free char *copy = strdup(path_var);
  if (copy == NULL)
    return berr_errno(err, "exec: %s", name);
  /* strtok_r would skip empty entries, which mean the cwd: split by hand */
  for (char *dir = copy, *next; dir != NULL; dir = next) {
    next = strchr(dir, ':');
    if (next != NULL)
      *next++ = '\0';
    cleanup_free char *cand = NULL;
    if (asprintf(&cand, "%s/%s", *dir ? dir : ".", name) < 0)
      return berr_errno(err, "exec: %s", name);
    if (check_executable(cand) == 0) {
      *out = steal_ptr(&cand);
      return 0;
    }
  }
  set_coded(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
  return lookup_failed(err);
}

int process_find_executable(const struct spec_process *p, char **path, struct berr **err) {
  *path = NULL;
  if (p == NULL || p->args.len == 0 || p->args.items == NULL || p->args.items[0] == NULL ||
      p->args.items[0][0] == '\0')
    return set_coded(err, EINVAL, "process.args: must not be empty");
  const char *name = p->args.items[0];

  if (strchr(name, '/') == NULL) {
    const char *path_var = env_path(&p->env);
    return search_path(name, path_var ? path_var : PROCESS_DEFAULT_PATH, path, err);
  }
  if (check_executable(name) < 0) {
    int e = errno;
    if (e == ENOENT)
      set_coded(err, ENOENT, "exec: \"%s\": no such file or directory", name);
    else if (e == EACCES || e == EPERM)
      set_coded(err, EACCES, "exec: \"%s\": permission denied", name);
    else
      berr_set(err, e, "exec: \"%s\"", name);
    return lookup_failed(err);
  }
  *path = strdup(name);
  if (*path == NULL)
    return berr_errno(err, "exec: %s", name);
  return 0;
}

/* ---- cwd ---- */

int process_chdir(const struct spec_process *p, struct berr **err) {
  const char *cwd = p->cwd ? p->cwd : "/";
  cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return berr_errno(err, "process.cwd: open /");
  cleanup_close int fd = pathsafe_openat(root, cwd, O_PATH | O_DIRECTORY);
  if (fd < 0) {
    if (errno == ELOOP || errno == EXDEV)
      return berr_set(err, errno, "process.cwd \"%s\": refused (a magic link such as "
                      "/proc/self/fd/N, or a path leaving the container)", cwd);
    return berr_errno(err, "process.cwd \"%s\"", cwd);
  }
  if (fchdir(fd) < 0)
    return berr_errno(err, "process.cwd \"%s\"", cwd);
  /* glibc's getcwd fails with ENOENT when the kernel says "(unreachable)" */
  char buf[PATH_MAX];
  if (getcwd(buf, sizeof(buf)) == NULL && errno != ENAMETOOLONG && errno != ERANGE)
    return berr_set(err, errno, "process.cwd \"%s\": not inside the container", cwd);
  return 0;
}

/* ---- rlimits ---- */

static const char *rl_name(const struct spec_rlimit *r, char buf[32]) {
  if (r->type != NULL)
    return r->type;
  const char *n = rlimit_name(r->resource);
  if (n != NULL)
    return n;
  snprintf(buf, 32, "%d", r->resource);
  return buf;
}

static int apply_one_rlimit(const struct spec_rlimit *r, struct berr **err) {
  char buf[32];
  struct rlimit want = {.rlim_cur = (rlim_t)r->soft, .rlim_max = (rlim_t)r->hard};
  if (setrlimit(r->resource, &want) == 0)
    return 0;
  int e = errno;
  struct rlimit cur;
  if (e == EPERM && getrlimit(r->resource, &cur) == 0 && want.rlim_max > cur.rlim_max) {
    /* no CAP_SYS_RESOURCE: a hard limit cannot be raised, keep what we have */
    struct rlimit clamped = {.rlim_cur =
                                 want.rlim_cur < cur.rlim_max ? want.rlim_cur : cur.rlim_max,
                             .rlim_max = cur.rlim_max};
    log_warn("process.rlimits[%s]: hard limit %llu is above the current hard limit %llu and "
             "cannot be raised without CAP_SYS_RESOURCE; using soft %llu hard %llu",
             rl_name(r, buf), (unsigned long long)want.rlim_max, (unsigned long long)cur.rlim_max,
             (unsigned long long)clamped.rlim_cur, (unsigned long long)clamped.rlim_max);
    if (setrlimit(r->resource, &clamped) == 0)
      return 0;
    e = errno;
    want = clamped;
  }
  return berr_set(err, e, "process.rlimits[%s]: setrlimit soft %llu hard %llu", rl_name(r, buf),
                  (unsigned long long)want.rlim_cur, (unsigned long long)want.rlim_max);
}

int process_apply_rlimits(const struct spec_process *p, struct berr **err) {
  if (p == NULL)
    return 0;
  for (size_t i = 0; i < p->rlimits_len; i++)
    if (apply_one_rlimit(&p->rlimits[i], err) < 0)
      return -1;
  return 0;
}

/* ---- oom_score_adj ---- */

int process_apply_oom_score_adj(const struct spec_process *p, struct berr **err) {
  if (p == NULL || !p->has_oom_score_adj)
    return 0;
  cleanup_close int fd = proc_openat("self/oom_score_adj", O_WRONLY);
  if (fd < 0 && errno == EXDEV)
    return berr_code(err, EXDEV, "process.oomScoreAdj: /proc/self/oom_score_adj: " PROC_NOT_PROCFS);
  if (fd < 0)
    return berr_errno(err, "process.oomScoreAdj: open /proc/self/oom_score_adj");
  char buf[16];
  int n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
  if (write(fd, buf, (size_t)n) != n) {
    int e = errno;
    if (e == EACCES || e == EPERM)
      return berr_set(err, e,
                      "process.oomScoreAdj: cannot set %d (lowering it below the runtime's "
                      "own value needs CAP_SYS_RESOURCE)",
                      p->oom_score_adj);
    return berr_set(err, e, "process.oomScoreAdj: write %d to /proc/self/oom_score_adj",
                    p->oom_score_adj);
  }
  return 0;
}

/* ---- user ---- */

static bool setgroups_denied(void) {
  cleanup_close int fd = proc_openat("self/setgroups", O_RDONLY);
  if (fd < 0)
    return false;
  char buf[16] = {0};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  return n >= 4 && strncmp(buf, "deny", 4) == 0;
}

static int apply_groups(const struct spec_user *u, struct berr **err) {
  size_t n = u->additional_gids_len;
  cleanup_free gid_t *gids = NULL;
  if (n > 0) {
    gids = calloc(n, sizeof(*gids));
    if (gids == NULL)
      return berr_errno(err, "process.user.additionalGids");
    for (size_t i = 0; i < n; i++)
      gids[i] = (gid_t)u->additional_gids[i];
  }
  if (setgroups(n, gids) == 0)
    return 0;
  int e = errno;
  if (e == EPERM && setgroups_denied()) {
    if (n == 0) {
      log_debug("process.user.additionalGids: setgroups denied in this user namespace, "
                "supplementary groups left as they are");
      return 0;
    }
    return berr_set(err, e,
                    "process.user.additionalGids: setgroups (/proc/self/setgroups is \"deny\" "
                    "in this user namespace)");
  }
  return berr_set(err, e, "process.user.additionalGids: setgroups");
}

/* The stdio the caller passed (pipes, files; not /dev/null, not a terminal) becomes
 * process.user.uid's, group kept, so a non-root process can reopen /proc/self/fd/0..2 (runc's
 * fixStdioPermissions). The uid or the file's owner not mapped in a user namespace (EINVAL,
 * EPERM): left as it is, as runc. */
static int chown_stdio(uid_t uid, struct berr **err) {
  struct stat null = {.st_rdev = makedev(1, 3)};
  bool null_known = false;
  for (int fd = 0; fd <= 2; fd++) {
    struct stat st;
    if (fstat(fd, &st) < 0) {
      if (errno == EBADF)
        continue; /* closed by the caller: nothing to own */
      return berr_errno(err, "process.user: stat stdio fd %d", fd);
    }
    if (st.st_uid == uid)
      continue; /* already its own (root's stdio for a root process): nothing to do */
    if (!null_known && stat("/dev/null", &null) < 0)
      log_debug("stat /dev/null: %s", strerror(errno));
    null_known = true;
    /* a terminal here is the caller's own (berth's pty was chowned when made): chowning it
     * would hand a host user's terminal to the container's user (runc's foreground run and
     * exec pass pipes, never the caller's terminal) */
    if (st.st_rdev == null.st_rdev || isatty(fd))
      continue;
    if (fchown(fd, uid, st.st_gid) < 0 && errno != EINVAL && errno != EPERM)
      return berr_errno(err, "process.user.uid: chown stdio fd %d to %u", fd, uid);
  }
  return 0;
}

int process_switch_user(const struct spec_process *p, struct berr **err) {
  if (p == NULL)
    return 0;
  const struct spec_user *u = &p->user;
  if (chown_stdio(u->uid, err) < 0 || apply_groups(u, err) < 0)
    return -1;
  if (setresgid(u->gid, u->gid, u->gid) < 0)
    return berr_errno(err, "process.user.gid: setresgid %u%s", u->gid,
                      errno == EINVAL ? " (not mapped in the user namespace?)" : "");
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return berr_errno(err, "process.user: set keepcaps");
  if (setresuid(u->uid, u->uid, u->uid) < 0)
    return berr_errno(err, "process.user.uid: setresuid %u%s", u->uid,
                      errno == EINVAL ? " (not mapped in the user namespace?)" : "");
  umask(u->has_umask ? (mode_t)(u->umask & 07777) : 0022);
  return 0;
}

/* ---- no_new_privs ---- */

int process_apply_no_new_privs(const struct spec_process *p, struct berr **err) {
  if (p == NULL || !p->no_new_privileges)
    return 0;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return berr_errno(err, "process.noNewPrivileges: prctl(PR_SET_NO_NEW_PRIVS)");
  return 0;
}
