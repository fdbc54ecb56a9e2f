/* One config mount (spec->mounts[i]) inside the rootfs, before pivot.
 * The destination is resolved with pathsafe (never leaving the rootfs) and
 * every mount(2) targets the resolved fd through /proc/self/fd/N. */
#include "libc_compat.h"
#include "mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "idmap.h"
#include "log.h"
#include "lsm.h"
#include "pathsafe.h"
#include "util.h"

#define LOCKABLE_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY)
#define COPY_MAX_DEPTH 128
#define CGROUP_ROOT "/sys/fs/cgroup"

/* Binds over /proc/<x> that runc allows (lxcfs and friends); anything else is refused. */
static const char *const proc_allowed[] = {
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo",  "/proc/stat",
    "/proc/swaps",   "/proc/uptime",    "/proc/loadavg",  "/proc/slabinfo",
    "/proc/sys/kernel/ns_last_pid",
};

/* ---- mounting onto fds ---- */

int mnt_at(const char *src, int targetfd, const char *type, unsigned long flags,
           const char *data) {
  char p[PATHSAFE_FDPATH_MAX];
  return mount(src, pathsafe_fdpath(targetfd, p), type, flags, data);
}

/* ---- the new mount API: no path, so no /proc involved ---- */

int mnt_tmpfs_detached(uint64_t attrs) {
  cleanup_close int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
      fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -1;
  return fsmount(fs, FSMOUNT_CLOEXEC, (unsigned int)attrs);
}

int mnt_move_onto(int treefd, int targetfd) {
  return move_mount(treefd, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

int mnt_bind_onto(int srcfd, int targetfd, bool recursive, uint64_t attr_set) {
  unsigned int rec = recursive ? AT_RECURSIVE : 0;
  cleanup_close int tree =
      open_tree(srcfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | rec);
  if (tree < 0)
    return -1;
  struct mount_attr attr = {.attr_set = attr_set};
  if (attr_set && mount_setattr(tree, "", AT_EMPTY_PATH | rec, &attr, sizeof(attr)) < 0)
    return -1;
  return mnt_move_onto(tree, targetfd);
}

unsigned long mnt_current_flags(int fd) {
  struct statvfs sv;
  if (fstatvfs(fd, &sv) < 0)
    return 0;
  unsigned long f = 0;
  f |= (sv.f_flag & ST_NOSUID) ? MS_NOSUID : 0;
  f |= (sv.f_flag & ST_NODEV) ? MS_NODEV : 0;
  f |= (sv.f_flag & ST_NOEXEC) ? MS_NOEXEC : 0;
  f |= (sv.f_flag & ST_RDONLY) ? MS_RDONLY : 0;
  return f;
}

int mnt_remount_bind(int fd, unsigned long flags, unsigned long keep) {
  flags |= mnt_current_flags(fd) & keep & LOCKABLE_FLAGS;
  flags &= ~(MS_REC | MS_BIND | MS_REMOUNT);
  return mnt_at(NULL, fd, NULL, MS_REMOUNT | MS_BIND | flags, NULL);
}

bool mnt_is_bind(const struct spec_mount *m) {
  return m->is_bind || (m->flags & MS_BIND) || (m->type && strcmp(m->type, "bind") == 0);
}

bool mnt_is_readonly_dev(const struct spec_mount *m) {
  const char *d = m->destination;
  return (m->flags & MS_RDONLY) && !mnt_is_bind(m) && d && strncmp(d, "/dev", 4) == 0 &&
         d[4 + strspn(d + 4, "/")] == '\0';
}

static bool type_is(const struct spec_mount *m, const char *t) {
  return m->type != NULL && strcmp(m->type, t) == 0;
}

/* ---- the /proc allow-list ---- */

/* The container path of fd, from its host path under opts->rootfs. */
static int container_path(int fd, const char *rootfs, char *out, size_t outlen) {
  char p[PATHSAFE_FDPATH_MAX], host[4096];
  ssize_t n = readlink(pathsafe_fdpath(fd, p), host, sizeof(host) - 1);
  if (n < 0)
    return -1;
  host[n] = '\0';
  size_t rl = strlen(rootfs);
  while (rl > 1 && rootfs[rl - 1] == '/')
    rl--;
  if (strncmp(host, rootfs, rl) != 0 || (host[rl] != '/' && host[rl] != '\0')) {
    errno = EXDEV;
    return -1;
  }
  snprintf(out, outlen, "%s", host[rl] ? host + rl : "/");
  return 0;
}

static bool source_is_procfs(int srcfd) {
  struct statfs sf;
  return srcfd >= 0 && fstatfs(srcfd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

static int proc_policy(const struct spec_mount *m, const char *cpath, int srcfd,
                       struct berr **err) {
  if (strcmp(cpath, "/proc") == 0) {
    if (type_is(m, "proc") || (mnt_is_bind(m) && source_is_procfs(srcfd)))
      return 0;
    return berr_set(err, EPERM, "only a procfs may be mounted on /proc");
  }
  if (strncmp(cpath, "/proc/", 6) != 0)
    return 0;
  for (size_t i = 0; i < sizeof(proc_allowed) / sizeof(proc_allowed[0]); i++)
    if (strcmp(cpath, proc_allowed[i]) == 0)
      return 0;
  return berr_set(err, EPERM,
                  "mounting over %s is not allowed (inside /proc only /proc/cpuinfo, "
                  "/proc/meminfo, /proc/stat... as for lxcfs)",
                  cpath);
}

/* The /proc rules on the destination as written, then as resolved (a symlink may lead there). */
static int check_proc_dest(const struct spec_mount *m, int target, int srcfd,
                           const struct rootfs_opts *opts, struct berr **err) {
  char cpath[4096];
  if (target < 0) {
    pathsafe_clean_path(m->destination, cpath, sizeof(cpath));
    return proc_policy(m, cpath, srcfd, err);
  }
  if (container_path(target, opts->rootfs, cpath, sizeof(cpath)) < 0)
    return berr_errno(err, "resolve destination");
  return proc_policy(m, cpath, srcfd, err);
}

/* ---- tmpcopyup: copy the image's content into the fresh tmpfs ---- */

static int copy_tree(int srcdir, int dstdir, int depth, struct berr **err);

static void copy_owner_mode(int fd, const struct stat *st) {
  /* an owner unmapped in our user namespace cannot be set: keep ours */
  if (fchown(fd, st->st_uid, st->st_gid) < 0)
    log_debug("tmpcopyup: chown to %u:%u: %s", st->st_uid, st->st_gid, strerror(errno));
  if (fchmod(fd, st->st_mode & 07777) < 0)
    log_debug("tmpcopyup: chmod: %s", strerror(errno));
}

static int copy_file(int srcdir, int dstdir, const char *name, const struct stat *st,
                     struct berr **err) {
  cleanup_close int in = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0)
    return berr_errno(err, "open %s", name);
  cleanup_close int out =
      openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0)
    return berr_errno(err, "create %s", name);
  char buf[65536];
  for (;;) {
    ssize_t n = read(in, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return berr_errno(err, "read %s", name);
    if (n == 0)
      break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, (size_t)(n - off));
      if (w < 0 && errno != EINTR)
        return berr_errno(err, "write %s", name);
      off += w > 0 ? w : 0;
    }
  }
  copy_owner_mode(out, st);
  return 0;
}

static int copy_entry(int srcdir, int dstdir, const char *name, const struct stat *st, int depth,
                      struct berr **err) {
  if (S_ISREG(st->st_mode))
    return copy_file(srcdir, dstdir, name, st, err);
  if (S_ISDIR(st->st_mode)) {
    if (mkdirat(dstdir, name, 0700) < 0)
      return berr_errno(err, "mkdir %s", name);
    cleanup_close int s = openat(srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_close int d = openat(dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s < 0 || d < 0)
      return berr_errno(err, "open %s", name);
    if (copy_tree(s, d, depth + 1, err) < 0)
      return berr_prefix(err, "%s", name);
    copy_owner_mode(d, st);
    return 0;
  }
  if (S_ISLNK(st->st_mode)) {
    char target[4096];
    ssize_t n = readlinkat(srcdir, name, target, sizeof(target) - 1);
    if (n < 0)
      return berr_errno(err, "readlink %s", name);
    target[n] = '\0';
    if (symlinkat(target, dstdir, name) < 0)
      return berr_errno(err, "symlink %s", name);
    if (fchownat(dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
      log_debug("tmpcopyup: chown %s: %s", name, strerror(errno));
    return 0;
  }
  /* fifos, sockets and device nodes: mknod may be denied in a user namespace */
  if (mknodat(dstdir, name, st->st_mode, st->st_rdev) < 0) {
    log_warn("tmpcopyup: cannot copy special file %s: %s", name, strerror(errno));
    return 0;
  }
  if (fchownat(dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
      fchmodat(dstdir, name, st->st_mode & 07777, 0) < 0)
    log_debug("tmpcopyup: chown/chmod %s: %s", name, strerror(errno));
  return 0;
}

static int copy_tree(int srcdir, int dstdir, int depth, struct berr **err) {
  if (depth > COPY_MAX_DEPTH)
    return berr_set(err, ELOOP, "directories nested too deep");
  int fd = openat(srcdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berr_errno(err, "open directory");
  cleanup_dir DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return berr_errno(err, "open directory");
  }
  struct dirent *de;
  while ((errno = 0, de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(srcdir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return berr_errno(err, "stat %s", de->d_name);
    if (copy_entry(srcdir, dstdir, de->d_name, &st, depth, err) < 0)
      return -1;
  }
  return errno ? berr_errno(err, "read directory") : 0;
}

static bool image_has(int rootfd, const char *path) {
  cleanup_close int fd = pathsafe_openat(rootfd, path, O_PATH);
  return fd >= 0;
}

static int tmpcopyup(int olddir, int top, struct berr **err) {
  struct stat st;
  cleanup_close int newdir = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (newdir < 0 || fstat(olddir, &st) < 0)
    return berr_errno(err, "tmpcopyup");
  if (copy_tree(olddir, newdir, 0, err) < 0)
    return berr_prefix(err, "tmpcopyup");
  copy_owner_mode(newdir, &st);
  return 0;
}

/* ---- cgroup ---- */

/* The path of our own cgroup in the v1 hierarchy mounted at /sys/fs/cgroup/<name>. */
static char *own_cgroup(const char *name, bool v2) {
  cleanup_fclose FILE *f = fopen("/proc/self/cgroup", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  while (f && getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char *ctl = strchr(line, ':');
    char *path = ctl ? strchr(ctl + 1, ':') : NULL;
    if (path == NULL)
      continue;
    *path++ = '\0';
    *ctl++ = '\0'; /* line: the hierarchy id alone ("0" for the unified one) */
    if (strncmp(ctl, "name=", 5) == 0)
      ctl += 5;
    if (v2 ? (strcmp(line, "0") == 0 && *ctl == '\0') : strcmp(ctl, name) == 0)
      return strdup(path);
  }
  return NULL;
}

/* The options naming a v1 hierarchy (its controllers, name=, none, xattr, noprefix), from
 * the host mount's super options: never release_agent= nor the host's rw/ro. */
static void hierarchy_data(const char *superopts, char *out, size_t outlen) {
  cleanup_free char *copy = strdup(superopts);
  size_t o = 0;
  out[0] = '\0';
  char *save = NULL;
  for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
    if (strcmp(t, "rw") == 0 || strcmp(t, "ro") == 0 ||
        (strchr(t, '=') && strncmp(t, "name=", 5) != 0))
      continue;
    int n = snprintf(out + o, outlen - o, "%s%s", o ? "," : "", t);
    if (n < 0 || (size_t)n >= outlen - o)
      break;
    o += (size_t)n;
  }
}

/* In a cgroup namespace: a fresh mount of the hierarchy, rooted at the namespace's root
 * (the container's cgroup), as runc does; a bind of the host's hierarchy would show the
 * whole host tree. Returns 1 when mounted, 0 when the kernel refused (bind instead). */
static int cgroup_mount_fresh(int fd, const char *name, const char *superopts, bool v2,
                              unsigned long flags) {
  char data[256];
  hierarchy_data(superopts, data, sizeof(data));
  unsigned long fl = (flags & MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (mnt_at("cgroup", fd, v2 ? "cgroup2" : "cgroup", fl, v2 ? NULL : data) == 0)
    return 1;
  log_debug("cgroup %s: fresh mount (%s): %s; binding the host's", name, data, strerror(errno));
  return 0;
}

/* One host hierarchy onto <top>/<name>: fresh in a cgroup namespace, else a bind of our
 * own cgroup in it (the whole hierarchy when it has none). */
static int cgroup_bind_one(int top, const char *name, const char *mroot, const char *superopts,
                           bool v2, const struct spec_mount *m, const struct rootfs_opts *opts,
                           struct berr **err) {
  if (mkdirat(top, name, 0755) < 0 && errno != EEXIST)
    return berr_errno(err, "mkdir %s", name);
  cleanup_close int fd = openat(top, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berr_errno(err, "open %s", name);
  if (opts->cgroupns && cgroup_mount_fresh(fd, name, superopts, v2, m->flags) == 1)
    return 0;
  cleanup_free char *own = own_cgroup(name, v2);
  cleanup_free char *src = NULL;
  size_t rl = strcmp(mroot, "/") == 0 ? 0 : strlen(mroot);
  const char *rel = own && strncmp(own, mroot, rl) == 0 ? own + rl : "";
  struct stat st;
  if (asprintf(&src, CGROUP_ROOT "/%s%s", name, rel) < 0)
    return berr_errno(err, "cgroup %s", name);
  if (stat(src, &st) < 0 || !S_ISDIR(st.st_mode))
    src[strlen(CGROUP_ROOT) + 1 + strlen(name)] = '\0'; /* the whole hierarchy */
  if (mnt_at(src, fd, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berr_errno(err, "bind %s", src);
  cleanup_close int b = openat(top, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  unsigned long keep = opts->in_userns ? ~m->clear_flags : 0;
  if (b < 0 || mnt_remount_bind(b, m->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, keep) < 0)
    return berr_errno(err, "remount %s", src);
  log_debug("cgroup v1: bound %s", src);
  return 0;
}

/* Hybrid/v1 host: a tmpfs holding one bind per hierarchy mounted under /sys/fs/cgroup. */
static int cgroup_v1_tree(const struct spec_mount *m, int top, const struct rootfs_opts *opts,
                          struct berr **err) {
  /* a snapshot: the binds below add lines to mountinfo (with a rootfs that sees the host's
   * /sys/fs/cgroup, reading on while binding never reached the end) */
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, &len, err) < 0)
    return -1;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char root[4096], mp[4096], fstype[64], superopts[1024] = "";
    const char *sep = strstr(line, " - ");
    if (sep == NULL || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mp) != 2 ||
        sscanf(sep + 3, "%63s %*s %1023s", fstype, superopts) < 1)
      continue;
    bool v2 = strcmp(fstype, "cgroup2") == 0;
    if ((!v2 && strcmp(fstype, "cgroup") != 0) || strncmp(mp, CGROUP_ROOT "/", 15) != 0 ||
        strchr(mp + 15, '/') != NULL || mp[15] == '\0')
      continue;
    if (cgroup_bind_one(top, mp + 15, root, superopts, v2, m, opts, err) < 0)
      return -1;
  }
  /* co-mounted controllers appear as symlinks (cpu -> cpu,cpuacct) */
  cleanup_dir DIR *d = opendir(CGROUP_ROOT);
  for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
    char target[256];
    ssize_t n = de->d_type == DT_LNK ? readlinkat(dirfd(d), de->d_name, target, 255) : -1;
    if (n > 0 && (target[n] = '\0', symlinkat(target, top, de->d_name) < 0) && errno != EEXIST)
      return berr_errno(err, "symlink %s", de->d_name);
  }
  return 0;
}

static int mount_cgroup(const struct spec_mount *m, int target, int rootfd,
                        const struct rootfs_opts *opts, struct berr **err) {
  struct statfs sf;
  bool host_v2 = statfs(CGROUP_ROOT, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
  unsigned long fl = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  if (host_v2 || type_is(m, "cgroup2")) {
    if (mnt_at("cgroup2", target, "cgroup2", fl, NULL) < 0)
      return berr_errno(err, "mount cgroup2");
    return 0;
  }
  if (mnt_at("tmpfs", target, "tmpfs", (fl & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
             "mode=755") < 0)
    return berr_errno(err, "mount tmpfs for cgroup v1");
  cleanup_close int top = pathsafe_openat(rootfd, m->destination, O_PATH | O_DIRECTORY);
  if (top < 0)
    return berr_errno(err, "reopen");
  if (cgroup_v1_tree(m, top, opts, err) < 0)
    return berr_prefix(err, "cgroup v1");
  if ((fl & MS_RDONLY) && mnt_remount_bind(top, fl, ~0UL) < 0)
    return berr_errno(err, "remount read-only");
  return 0;
}

/* ---- one mount ---- */

/* The source by fd (pathsafe_open_source resolved it), never by its path again. */
static int mount_bind(const struct spec_mount *m, int srcfd, int target, struct berr **err) {
  unsigned long fl = MS_BIND | (m->flags & MS_REC);
  char p[PATHSAFE_FDPATH_MAX];
  if (mnt_at(pathsafe_fdpath(srcfd, p), target, NULL, fl, NULL) < 0)
    return berr_errno(err, "bind %s", m->source);
  return 0;
}

/* A fresh sysfs shows the network devices of the mounter's network namespace and needs
 * CAP_SYS_ADMIN over the user namespace owning it: the container's own, one joined by path
 * (podman's bridge, a pod), or the host's while the runtime is root there, as runc mounts it.
 * Only when the kernel refuses (a user namespace without its own network namespace) is the
 * host's /sys bound instead (recursive: its submounts stay as the host has them). Returns 1
 * when bound, 0 when mounted fresh. */
static int mount_sysfs(const struct spec_mount *m, int target, unsigned long fl,
                       const char *data, struct berr **err) {
  if (mnt_at(m->source ? m->source : "sysfs", target, "sysfs", fl, data) == 0)
    return 0;
  if (errno != EPERM)
    return berr_errno(err, "mount sysfs");
  log_debug("sysfs: EPERM (no network namespace of our user namespace's): rbind /sys");
  if (mnt_at("/sys", target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berr_errno(err, "rbind /sys");
  return 1;
}

/* The mount itself, onto `target` (the resolved destination); 1: sysfs bound from the host's
 * (flags applied as to a bind). */
static int mount_dispatch(const struct spec_mount *m, int target, int srcfd, int rootfd,
                          const struct rootfs_opts *opts, struct berr **err) {
  if (mnt_is_bind(m))
    return mount_bind(m, srcfd, target, err);
  if (type_is(m, "cgroup") || type_is(m, "cgroup2"))
    return mount_cgroup(m, target, rootfd, opts, err);
  unsigned long fl = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  if (m->tmpcopyup || mnt_is_readonly_dev(m))
    fl &= ~MS_RDONLY; /* made read-only after the copy, or (/dev) by rootfs_finalize */
  const char *type = m->type ? m->type : "none";
  cleanup_free char *data = NULL;
  if (lsm_mount_data(opts->mount_label, m, &data, err) < 0)
    return -1;
  if (type_is(m, "sysfs"))
    return mount_sysfs(m, target, fl, data, err);
  if (mnt_at(m->source ? m->source : type, target, type, fl, data) < 0) {
    if (errno == EINVAL && lsm_mount_labelled(opts->mount_label, m))
      return berr_errno(err, "mount %s with linux.mountLabel \"%s\" (a context the loaded "
                        "policy knows?)", type, opts->mount_label);
    return berr_errno(err, "mount %s", type);
  }
  return 0;
}

/* After the mount: flags a bind cannot take at once, tmpcopyup, propagation, attrs. Reopens
 * the destination (the target fd still names the covered directory) only when one applies. */
static int mount_finish(const struct spec_mount *m, int rootfd, int olddir, bool rebound,
                        const struct rootfs_opts *opts, struct berr **err) {
  unsigned long extra = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  bool binding = mnt_is_bind(m) || rebound;
  bool remount = binding && (extra || m->clear_flags);
  /* only an mqueue of the container's own IPC namespace: not the host's or a joined one's */
  bool label = !binding && opts->new_ipcns && opts->mount_label != NULL;
  if (olddir < 0 && !remount && !label && !m->propagation && !m->attr_set && !m->attr_clr)
    return 0;
  cleanup_close int top = pathsafe_openat(rootfd, m->destination, O_PATH);
  if (top < 0)
    return berr_errno(err, "reopen after mount");
  if (label && lsm_label_mount_root(opts->mount_label, m, top, err) < 0)
    return -1;
  if (olddir >= 0 && tmpcopyup(olddir, top, err) < 0)
    return -1;
  if (remount) {
    unsigned long keep = opts->in_userns ? ~m->clear_flags : 0;
    if (mnt_remount_bind(top, extra, keep) < 0)
      return berr_errno(err, "remount bind with flags 0x%lx", extra);
  } else if (olddir >= 0 && (extra & MS_RDONLY) && !mnt_is_readonly_dev(m) &&
             mnt_remount_bind(top, extra, ~0UL) < 0) {
    return berr_errno(err, "remount read-only");
  }
  if (m->propagation && mnt_at(NULL, top, NULL, m->propagation, NULL) < 0)
    return berr_errno(err, "set propagation 0x%lx", m->propagation);
  if (m->attr_set || m->attr_clr) {
    struct mount_attr attr = {.attr_set = m->attr_set, .attr_clr = m->attr_clr};
    if (syscall(SYS_mount_setattr, top, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) <
        0)
      return berr_errno(err, "mount_setattr");
  }
  return 0;
}

/* proc and sysfs go on an ordinary directory, never through a symlink the image placed there
 * (runc since CVE-2023-28642: a symlinked /proc sent the LSM label writes elsewhere). Asked
 * only when the destination did not resolve plainly (pathsafe_mkpath_plain). */
static int check_pseudo_fs_dest(const struct spec_mount *m, int rootfd, struct berr **err) {
  if (!type_is(m, "proc") && !type_is(m, "sysfs"))
    return 0;
  cleanup_free char *name = NULL;
  cleanup_close int parent = pathsafe_open_parent(rootfd, m->destination, false, &name, NULL);
  struct stat st;
  if (parent < 0 || fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
    return 0; /* missing: pathsafe_mkpath makes a directory */
  return berr_set(err, ENOTDIR, "%s must be mounted on an ordinary directory: the rootfs has %s",
                  m->type, S_ISLNK(st.st_mode) ? "a symlink there" : "a file there");
}

/* What the destination must be: a directory, or a file for a bind of a file
 * (srcfd: the bind's source or the idmapped clone, -1 for other mounts). */
static int dest_kind(int srcfd, enum pathsafe_kind *kind, struct berr **err) {
  struct stat st;
  *kind = PATHSAFE_DIR;
  if (srcfd < 0)
    return 0;
  if (fstat(srcfd, &st) < 0)
    return berr_errno(err, "stat the source");
  *kind = S_ISDIR(st.st_mode) ? PATHSAFE_DIR : PATHSAFE_FILE;
  return 0;
}

/* A bind's source: a host path, or one inside the rootfs resolved there (pathsafe.h). */
static int open_bind_source(const struct spec_mount *m, const struct rootfs_opts *opts,
                            struct berr **err) {
  if (m->source == NULL)
    return berr_code(err, EINVAL, "bind mount without a source");
  int fd = pathsafe_open_source(AT_FDCWD, opts->rootfs, m->source, O_PATH);
  return fd < 0 ? berr_errno(err, "source %s", m->source) : fd;
}

/* A clone of the source prepared by the runtime (idmap.h: idmapped, or a bind's source in a
 * container with a user namespace) onto the resolved destination. */
static int attach_tree(int treefd, int target, struct berr **err) {
  if (mnt_move_onto(treefd, target) < 0)
    return berr_errno(err, "move the runtime's clone of the source into place");
  return 0;
}

static int mount_entry(const struct spec_mount *m, int treefd, int rootfd,
                       const struct rootfs_opts *opts, struct berr **err) {
  berr_sink(err); /* EACCES/EPERM from the source: the clone instead */
  if (idmap_wanted(m) && treefd < 0)
    return berr_code(err, EINVAL, "idmapped mount: the runtime prepared no mapped source");
  cleanup_close int srcfd = -1;
  if (treefd >= 0 && !idmap_wanted(m)) {
    /* the runtime's plain clone (idmap.h) only for a source the container's root cannot
     * reach: a bind made here keeps the submounts locked, as the kernel does for a user
     * namespace; the clone's are not */
    srcfd = open_bind_source(m, opts, err);
    if (srcfd >= 0)
      treefd = -1;
    else if (berr_errcode(err) != EACCES && berr_errcode(err) != EPERM)
      return -1;
    else
      berr_cleanup(err); /* unreachable from here: the clone it is */
  } else if (treefd < 0 && mnt_is_bind(m) && (srcfd = open_bind_source(m, opts, err)) < 0) {
    return -1;
  }
  enum pathsafe_kind kind;
  int source = treefd >= 0 ? treefd : srcfd; /* the runtime's clone is the source too */
  if (dest_kind(source, &kind, err) < 0 || check_proc_dest(m, -1, source, opts, err) < 0)
    return -1;
  /* tmpcopyup copies the image's directory (content, owner, mode); a mountpoint
   * made here has nothing to copy, and the tmpfs keeps its own mode (1777 unless
   * mode= says otherwise), as with runc: podman's --read-only /run and /var/tmp */
  bool copyup = m->tmpcopyup && image_has(rootfd, m->destination);
  /* no symlink on the way: the destination as written (checked above) is where it lands */
  cleanup_close int target = pathsafe_mkpath_plain(rootfd, m->destination, kind);
  if (target < 0 && (check_pseudo_fs_dest(m, rootfd, err) < 0 ||
                     (target = pathsafe_mkpath(rootfd, m->destination, kind, err)) < 0 ||
                     check_proc_dest(m, target, source, opts, err) < 0))
    return -1;
  cleanup_close int olddir = -1;
  if (copyup && (olddir = openat(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return berr_errno(err, "tmpcopyup: open the image's directory");
  int r = treefd >= 0 ? attach_tree(treefd, target, err)
                      : mount_dispatch(m, target, srcfd, rootfd, opts, err);
  if (r < 0)
    return -1;
  return mount_finish(m, rootfd, olddir, r == 1, opts, err);
}

int mount_config_entry(const struct spec_mount *m, size_t idx, int rootfd,
                       const struct rootfs_opts *opts, struct berr **err) {
  log_debug("mounts[%zu]: %s on %s type %s flags 0x%lx data %s", idx,
            m->source ? m->source : "none", m->destination, m->type ? m->type : "none",
            m->flags, m->data ? m->data : "");
  int treefd = opts->idmap_fds ? opts->idmap_fds[idx] : -1;
  if (mount_entry(m, treefd, rootfd, opts, err) < 0)
    return berr_prefix(err, "mounts[%zu] (%s)", idx, m->destination);
  return 0;
}
