/* rootfs.c, mounts.c, devices.c, masked.c, pathsafe.c on a scratch busybox
 * rootfs, each scenario in a forked child with its own mount namespace.
 * Needs root. Output: "ok - name" / "not ok - name", then "N passed, M failed". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices.h"
#include "error.h"
#include "idmap.h"
#include "log.h"
#include "pathsafe.h"
#include "rootfs.h"
#include "spec.h"

#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE 0xb703
#endif

static int *counts; /* shared with the children: [0] passed, [1] failed */
static char base[64];

static void check(bool ok, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%s - ", ok ? "ok" : "not ok");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
  __atomic_add_fetch(&counts[ok ? 0 : 1], 1, __ATOMIC_SEQ_CST);
}

static void write_file(const char *path, const char *content) {
  FILE *f = fopen(path, "w");
  if (f) {
    fputs(content, f);
    fclose(f);
  }
}

static bool file_is(const char *path, const char *want) {
  char buf[256] = "";
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  return n >= 0 && (buf[n] = '\0', strcmp(buf, want) == 0);
}

static void mkdirs(const char *fmt, ...) {
  char p[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p, sizeof(p), fmt, ap);
  va_end(ap);
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = '\0';
      mkdir(p, 0755);
      *s = '/';
    }
  mkdir(p, 0755);
}

/* A busybox rootfs with some content to mount over. */
static void build_rootfs(const char *r) {
  char cmd[8192];
  mkdirs("%s/bin", r);
  snprintf(cmd, sizeof(cmd), "cp /bin/busybox %s/bin/busybox && %s/bin/busybox --install -s %s/bin",
           r, r, r);
  if (system(cmd) != 0)
    fprintf(stderr, "# busybox install failed\n");
  /* the applet links point at the host path of busybox: make them relative */
  char p[4096];
  snprintf(p, sizeof(p), "%s/bin", r);
  DIR *d = opendir(p);
  for (struct dirent *de; d && (de = readdir(d));)
    if (de->d_type == DT_LNK && unlinkat(dirfd(d), de->d_name, 0) == 0)
      symlinkat("busybox", dirfd(d), de->d_name);
  if (d)
    closedir(d);
  const char *dirs[] = {"proc", "sys", "dev", "etc", "tmp", "mnt", "secret", "data/sub"};
  for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
    mkdirs("%s/%s", r, dirs[i]);
  snprintf(p, sizeof(p), "%s/etc/passwd", r);
  write_file(p, "root:x:0:0::/:/bin/sh\n");
  snprintf(p, sizeof(p), "%s/secret/s", r);
  write_file(p, "secret");
  snprintf(p, sizeof(p), "%s/data/a.txt", r);
  write_file(p, "hello");
  snprintf(p, sizeof(p), "%s/data/sub/b.txt", r);
  write_file(p, "world");
  snprintf(p, sizeof(p), "%s/data/link", r);
  symlink("a.txt", p);
  snprintf(p, sizeof(p), "%s/data", r);
  chmod(p, 0750);
  chown(p, 12, 34);
  /* hostile: absolute and relative symlinks pointing at host directories */
  char t[4096];
  snprintf(p, sizeof(p), "%s/evil", r);
  snprintf(t, sizeof(t), "%s/hostdir", base);
  symlink(t, p);
  snprintf(p, sizeof(p), "%s/rel", r);
  snprintf(t, sizeof(t), "../../../../../../../..%s/hostdir", base);
  symlink(t, p);
}

static struct spec_mount mnt(const char *dst, const char *type, const char *src,
                             unsigned long flags, const char *data) {
  return (struct spec_mount){.destination = (char *)dst,
                             .type = (char *)type,
                             .source = (char *)src,
                             .flags = flags,
                             .is_bind = (flags & MS_BIND) != 0,
                             .data = (char *)data};
}

/* Options of the topmost mount at `path` in our mountinfo, "" if none. */
static bool mount_opts(const char *path, char *out, size_t outlen) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  char line[4096], mp[4096], opts[1024], fs[64];
  bool found = false;
  while (f && fgets(line, sizeof(line), f)) {
    char *sep = strstr(line, " - ");
    if (sep && sscanf(line, "%*s %*s %*s %*s %4095s %1023s", mp, opts) == 2 &&
        strcmp(mp, path) == 0 && sscanf(sep + 3, "%63s", fs) == 1) {
      snprintf(out, outlen, "%s,%s", opts, fs);
      found = true;
    }
  }
  if (f)
    fclose(f);
  return found;
}

static bool has_opt(const char *path, const char *opt) {
  char o[1200];
  if (!mount_opts(path, o, sizeof(o)))
    return false;
  size_t n = strlen(opt);
  for (char *s = o; (s = strstr(s, opt)) != NULL; s += n)
    if ((s == o || s[-1] == ',') && (s[n] == ',' || s[n] == '\0'))
      return true;
  return false;
}

static bool is_chr(const char *path, unsigned ma, unsigned mi, mode_t mode) {
  struct stat st;
  return lstat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(ma, mi) &&
         (mode == 0 || (st.st_mode & 07777) == mode);
}

static bool write_fails(const char *path, int want_errno) {
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    close(fd);
    return false;
  }
  return errno == want_errno;
}

static bool link_is(const char *path, const char *want) {
  char buf[256];
  ssize_t n = readlink(path, buf, sizeof(buf) - 1);
  return n > 0 && (buf[n] = '\0', strcmp(buf, want) == 0);
}

static bool dir_empty(const char *path) {
  DIR *d = opendir(path);
  int n = 0;
  for (struct dirent *de; d && (de = readdir(d));)
    n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
  if (d)
    closedir(d);
  return d && n == 0;
}

static const char *msg(struct berr *e) { return e && e->msg ? e->msg : "(no error)"; }

/* ---- scenario: a full container rootfs ---- */

static struct spec_mount full_mounts[16];
static bool userns_mode; /* full_child runs in a new user (and pid, net, ipc) namespace */
static char share_src[256], file_src[256];

static size_t build_full_mounts(void) {
  size_t n = 0;
  full_mounts[n++] = mnt("/proc", "proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
  full_mounts[n++] = mnt("/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  full_mounts[n++] = mnt("/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
                         "newinstance,ptmxmode=0666,mode=0620");
  full_mounts[n++] = mnt("/dev/shm", "tmpfs", "shm", MS_NOSUID | MS_NOEXEC | MS_NODEV,
                         "mode=1777,size=65536k");
  full_mounts[n++] = mnt("/dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
  full_mounts[n++] = mnt("/sys", "sysfs", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL);
  full_mounts[n++] = mnt("/sys/fs/cgroup", "cgroup", "cgroup",
                         MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL);
  full_mounts[n++] = mnt("/mnt/share", NULL, share_src, MS_BIND | MS_REC | MS_RDONLY, NULL);
  full_mounts[n++] = mnt("/etc/hostfile", "bind", file_src, MS_BIND, NULL);
  full_mounts[n] = mnt("/data", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, NULL);
  full_mounts[n++].tmpcopyup = true;
  full_mounts[n++] = mnt("/evil/x", "tmpfs", "tmpfs", 0, NULL);
  full_mounts[n++] = mnt("/rel/z", "tmpfs", "tmpfs", 0, NULL);
  full_mounts[n] = mnt("/proc/uptime", NULL, file_src, MS_BIND, NULL);
  full_mounts[n++].propagation = MS_PRIVATE;
  return n;
}

static void check_inside(const char *tag) {
  char p[4096];
  check(has_opt("/", "ro"), "%s: root.readonly: / is ro", tag);
  check(write_fails("/newfile", EROFS), "%s: writing / fails with EROFS", tag);
  check(is_chr("/dev/null", 1, 3, 0666), "%s: /dev/null is 1:3 mode 0666", tag);
  check(is_chr("/dev/urandom", 1, 9, 0666) && is_chr("/dev/tty", 5, 0, 0666),
        "%s: default devices urandom and tty", tag);
  struct stat st;
  /* in a user namespace the host's node is bound: its owner and mode stay the host's */
  check(is_chr("/dev/net/tun", 10, 200, userns_mode ? 0 : 0600) && stat("/dev/net/tun", &st) == 0 &&
            (userns_mode || (st.st_uid == 1 && st.st_gid == 2)),
        "%s: linux.devices /dev/net/tun 10:200 0600 1:2", tag);
  check(link_is("/dev/fd", "/proc/self/fd") && link_is("/dev/stderr", "/proc/self/fd/2") &&
            link_is("/dev/ptmx", "pts/ptmx"),
        "%s: /dev links", tag);
  check(access("/dev/pts/ptmx", F_OK) == 0 && has_opt("/dev/pts", "devpts"),
        "%s: devpts mounted", tag);
  check(has_opt("/dev", "nosuid") && has_opt("/dev", "tmpfs"), "%s: /dev is a nosuid tmpfs", tag);
  check(has_opt("/dev/shm", "noexec") && !write_fails("/dev/shm/f", 0), "%s: /dev/shm writable",
        tag);
  check(has_opt("/dev/mqueue", "mqueue"), "%s: mqueue mounted", tag);
  check(has_opt("/sys", "ro") && access("/sys/kernel", F_OK) == 0, "%s: /sys read-only", tag);
  check(has_opt("/sys/fs/cgroup", "ro") && has_opt("/sys/fs/cgroup/memory", "ro") &&
            access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0,
        "%s: cgroup v1 tree, read-only", tag);
  check(has_opt("/mnt/share", "ro") && file_is("/mnt/share/f", "shared"),
        "%s: read-only bind of a host dir", tag);
  check(write_fails("/mnt/share/g", EROFS), "%s: bind ro: write fails EROFS", tag);
  check(file_is("/etc/hostfile", "hostfile"), "%s: bind of a host file", tag);
  check(file_is("/proc/uptime", "hostfile"), "%s: allowed bind over /proc/uptime", tag);
  check(file_is("/data/a.txt", "hello") && file_is("/data/sub/b.txt", "world") &&
            link_is("/data/link", "a.txt") && has_opt("/data", "tmpfs"),
        "%s: tmpcopyup content", tag);
  check(stat("/data", &st) == 0 && (st.st_mode & 07777) == 0750 && st.st_uid == 12 &&
            st.st_gid == 34,
        "%s: tmpcopyup keeps mode and owner", tag);
  check(!write_fails("/data/new", 0), "%s: tmpcopyup dir writable", tag);
  check(file_is("/proc/version", ""), "%s: masked /proc/version reads empty", tag);
  check(dir_empty("/secret") && write_fails("/secret/x", EROFS), "%s: masked dir is empty, ro",
        tag);
  check(write_fails("/proc/sys/kernel/hostname", EROFS), "%s: readonly /proc/sys: EROFS", tag);
  snprintf(p, sizeof(p), "%s/hostdir/x", base);
  check(has_opt(p, "tmpfs"), "%s: /evil/x landed inside the rootfs (%s)", tag, p);
  snprintf(p, sizeof(p), "%s/hostdir/z", base);
  check(has_opt(p, "tmpfs"), "%s: /rel/z landed inside the rootfs", tag);
  check(access("/bin/sh", X_OK) == 0, "%s: busybox present", tag);
}

static int full_child(const char *rootfs, bool fallback) {
  const char *tag = userns_mode ? "userns" : fallback ? "fallback" : "openat2";
  pathsafe_force_fallback(fallback);
  struct spec_device devs[] = {{.type = 'c', .path = "/dev/net/tun", .major = 10, .minor = 200,
                                .has_file_mode = true, .file_mode = 0600, .has_uid = true,
                                .has_gid = true, .uid = 1, .gid = 2}};
  char *masked[] = {"/proc/kcore", "/proc/version", "/secret", "/nonexistent", NULL};
  char *ro[] = {"/proc/sys", "/proc/sysrq-trigger", NULL};
  struct spec_linux lin = {.devices = devs, .devices_len = 1,
                           .masked_paths = {masked, 4}, .readonly_paths = {ro, 2}};
  struct spec spec = {.root = {.path = (char *)rootfs, .readonly = true}, .linux = &lin,
                      .mounts = full_mounts, .mounts_len = build_full_mounts()};
  struct rootfs_opts opts = {.rootfs = rootfs, .in_userns = userns_mode,
                             .new_pidns = userns_mode};
  struct berr *err = NULL;
  char p[4096];
  int r = rootfs_setup(&spec, &opts, &err);
  check(r == 0, "%s: rootfs_setup: %s", tag, msg(err));
  char q[4096];
  snprintf(p, sizeof(p), "%s/hostdir/x", base);
  snprintf(q, sizeof(q), "%s/hostdir/z", base);
  check(access(p, F_OK) < 0 && access(q, F_OK) < 0, "%s: host dir behind /evil and /rel untouched",
        tag);
  if (r < 0)
    return 1;
  r = rootfs_pivot(&spec, &opts, &err);
  check(r == 0, "%s: rootfs_pivot: %s", tag, msg(err));
  if (r < 0)
    return 1;
  char cwd[64];
  check(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, "/") == 0 && access(rootfs, F_OK) < 0,
        "%s: pivoted, host / gone", tag);
  r = rootfs_finalize(&spec, &opts, &err);
  check(r == 0, "%s: rootfs_finalize: %s", tag, msg(err));
  if (r == 0)
    check_inside(tag);
  berr_free(err);
  return 0;
}

/* ---- scenario: /dev is a symlink to a host directory, no /dev mount ---- */

static int devlink_child(const char *rootfs) {
  struct spec spec = {.root = {.path = (char *)rootfs}};
  struct rootfs_opts opts = {.rootfs = rootfs};
  struct berr *err = NULL;
  int r = rootfs_setup(&spec, &opts, &err);
  check(r == 0, "devlink: rootfs_setup: %s", msg(err));
  berr_free(err);
  return 0;
}

/* ---- scenario: mounts that must be refused ---- */

static void expect_error(const char *rootfs, struct spec_mount *ms, size_t n, const char *want,
                         const char *name) {
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) < 0)
      _exit(2);
    struct spec spec = {.root = {.path = (char *)rootfs}, .mounts = ms, .mounts_len = n};
    struct rootfs_opts opts = {.rootfs = rootfs};
    struct berr *err = NULL;
    int r = rootfs_setup(&spec, &opts, &err);
    check(r < 0 && strstr(msg(err), want) != NULL, "%s: \"%s\"", name, msg(err));
    _exit(0);
  }
  waitpid(pid, NULL, 0);
}

static void refusals(const char *rootfs) {
  struct spec_mount m1[] = {mnt("/proc", "proc", "proc", 0, NULL),
                            mnt("/proc/sysrq-trigger", NULL, file_src, MS_BIND, NULL)};
  expect_error(rootfs, m1, 2, "mounts[1] (/proc/sysrq-trigger): mounting over /proc/sysrq-trigger "
                              "is not allowed", "bind over /proc/sysrq-trigger refused");
  struct spec_mount m1b[] = {mnt("/proc", "proc", "proc", 0, NULL),
                             mnt("/proc/version", NULL, file_src, MS_BIND, NULL)};
  expect_error(rootfs, m1b, 2, "mounts[1] (/proc/version): mounting over /proc/version "
                               "is not allowed", "bind over /proc/version refused");
  struct spec_mount m1c[] = {mnt("/proc", "proc", "proc", 0, NULL),
                             mnt("/etc/../proc/./sys", NULL, share_src, MS_BIND, NULL)};
  expect_error(rootfs, m1c, 2, "mounts[1] (/etc/../proc/./sys): mounting over /proc/sys ",
               "bind over /etc/../proc/./sys refused");
  struct spec_mount m2[] = {mnt("/proc", "tmpfs", "tmpfs", 0, NULL)};
  expect_error(rootfs, m2, 1, "mounts[0] (/proc): only a procfs", "tmpfs on /proc refused");
  struct spec_mount m3[] = {mnt("/mnt/idm", NULL, share_src, MS_BIND, NULL)};
  m3[0].idmap = true;
  expect_error(rootfs, m3, 1,
               "mounts[0] (/mnt/idm): idmapped mount: the runtime prepared no mapped source",
               "idmap without the runtime's clone refused");
  struct spec_mount m4[] = {mnt("/dev/shm", "tmpfs", "tmpfs", 0, "size=bogus")};
  expect_error(rootfs, m4, 1, "mounts[0] (/dev/shm): mount tmpfs: Invalid argument",
               "bad tmpfs data names the mount");
}

/* ---- idmapped mounts: the runtime's side ---- */

static void idmap_tests(const char *rootfs) {
  struct spec_id_mapping good[] = {{.container_id = 1000, .host_id = 0, .size = 1}};
  struct spec_id_mapping overlap[] = {{.container_id = 0, .host_id = 0, .size = 10},
                                      {.container_id = 5, .host_id = 50, .size = 10}};
  struct berr *err = NULL;
  int fd = idmap_userns_open(good, 1, good, 1, &err);
  check(fd >= 0 && ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWUSER, "idmap: a user namespace fd (%s)",
        msg(err));
  if (fd >= 0)
    close(fd);
  berr_cleanup(&err);
  fd = idmap_userns_open(overlap, 2, good, 1, &err);
  check(fd < 0 && strstr(msg(err), "uid_map"), "idmap: overlapping ranges refused: %s", msg(err));
  berr_cleanup(&err);

  /* a prepared clone, moved into place by rootfs_setup in a child */
  struct spec_mount m[] = {mnt("/mnt/idm", "bind", share_src, MS_BIND, NULL),
                           mnt("/mnt/plain", "bind", share_src, MS_BIND, NULL)};
  m[0].uid_mappings = m[0].gid_mappings = good;
  m[0].uid_mappings_len = m[0].gid_mappings_len = 1;
  struct spec spec = {.mounts = m, .mounts_len = 2};
  struct ns_plan ns;
  ns_plan_prepare(&spec, &ns, NULL);
  int *fds = NULL;
  int r = idmap_prepare(&spec, &ns, AT_FDCWD, NULL, &fds, &err);
  check(r == 0 && fds && fds[0] >= 0 && fds[1] == -1, "idmap: prepare clones only mounts[0] (%s)",
        msg(err));
  berr_cleanup(&err);
  char p[4096];
  snprintf(p, sizeof(p), "%s/f", share_src);
  chown(p, 1000, 1000);
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
      _exit(1);
    struct rootfs_opts o = {.rootfs = rootfs, .idmap_fds = fds};
    struct stat a, b;
    r = rootfs_setup(&spec, &o, &err);
    char pa[4096], pb[4096];
    snprintf(pa, sizeof(pa), "%s/mnt/idm/f", rootfs);
    snprintf(pb, sizeof(pb), "%s/mnt/plain/f", rootfs);
    check(r == 0 && stat(pa, &a) == 0 && stat(pb, &b) == 0 && a.st_uid == 0 && b.st_uid == 1000,
          "idmap: host 1000 shows as 0 through the idmapped mount only (%s)", msg(err));
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  chown(p, 0, 0);
  idmap_release(fds, 2);

  m[0] = mnt("/mnt/idm", "tmpfs", "tmpfs", 0, NULL);
  m[0].ridmap = true;
  r = idmap_prepare(&spec, &ns, AT_FDCWD, NULL, &fds, &err);
  check(r < 0 && fds == NULL && strstr(msg(err), "mounts[0] (/mnt/idm): uidMappings/gidMappings, "
                                                 "idmap and ridmap need a bind mount"),
        "idmap: a tmpfs refused: %s", msg(err));
  berr_cleanup(&err);
  m[0] = mnt("/mnt/idm", "bind", share_src, MS_BIND, NULL);
  m[0].idmap = true;
  r = idmap_prepare(&spec, &ns, AT_FDCWD, NULL, &fds, &err);
  check(r < 0 && strstr(msg(err), "idmap without uidMappings/gidMappings"),
        "idmap: no mapping and no user namespace refused: %s", msg(err));
  berr_cleanup(&err);
}

/* ---- pathsafe without namespaces ---- */

static bool fd_is(int fd, const char *want) {
  char p[64], got[4096];
  snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(p, got, sizeof(got) - 1);
  return n > 0 && (got[n] = '\0', strcmp(got, want) == 0);
}

/* pathsafe_mkpath_plain: no symlink anywhere, or it declines (and creates nothing) */
static void plain_mkpath_tests(int root, const char *rootfs, bool fallback) {
  const char *tag = fallback ? "mkpath_plain fallback" : "mkpath_plain openat2";
  char want[4096], p[4096];
  int fd = pathsafe_mkpath_plain(root, "/etc/passwd", PATHSAFE_FILE);
  snprintf(want, sizeof(want), "%s/etc/passwd", rootfs);
  if (fallback) {
    check(fd < 0 && errno == ELOOP, "%s: declines without openat2", tag);
    return;
  }
  check(fd >= 0 && fd_is(fd, want), "%s: an existing plain path", tag);
  close(fd);
  fd = pathsafe_mkpath_plain(root, "/etc/plain-made", PATHSAFE_DIR);
  snprintf(want, sizeof(want), "%s/etc/plain-made", rootfs);
  struct stat st;
  check(fd >= 0 && fd_is(fd, want) && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode),
        "%s: the missing last component made (a directory)", tag);
  close(fd);
  /* declined, and nothing made where "absent" says (under the rootfs, or the host's base) */
  const struct {
    const char *path, *absent, *what;
    bool on_host;
    int err;
  } declined[] = {
      {"/up/etc/passwd", NULL, "a symlink on the way declines (ELOOP)", false, ELOOP},
      {"/evil/made3", "/hostdir/made3", "a symlinked parent declines and makes nothing on the host",
       true, ELOOP},
      {"/self", NULL, "a symlink as the last component declines", false, ELOOP},
      {"/no/such/deep", "/no", "more than the last component missing: ENOENT, nothing made",
       false, ENOENT},
  };
  for (size_t i = 0; i < sizeof(declined) / sizeof(declined[0]); i++) {
    fd = pathsafe_mkpath_plain(root, declined[i].path, PATHSAFE_DIR);
    int e = errno;
    snprintf(p, sizeof(p), "%s%s", declined[i].on_host ? base : rootfs,
             declined[i].absent ? declined[i].absent : "/nothing-to-check");
    check(fd < 0 && e == declined[i].err && access(p, F_OK) < 0, "%s: %s", tag,
          declined[i].what);
  }
}

static void resolver_tests(const char *rootfs, bool fallback) {
  const char *tag = fallback ? "pathsafe fallback" : "pathsafe openat2";
  pathsafe_force_fallback(fallback);
  int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  char want[4096], p[4096];
  snprintf(want, sizeof(want), "%s/etc/passwd", rootfs);
  int fd = pathsafe_openat(root, "../../../../../etc/passwd", O_PATH);
  check(fd >= 0 && fd_is(fd, want), "%s: .. stops at the root", tag);
  close(fd);
  snprintf(p, sizeof(p), "%s/up", rootfs);
  symlink("../../../../..", p);
  fd = pathsafe_openat(root, "/up/../../../../../etc/./passwd", O_RDONLY);
  check(fd >= 0 && fd_is(fd, want), "%s: relative symlink and .. stay inside", tag);
  close(fd);
  fd = pathsafe_openat(root, "/evil/marker", O_PATH);
  check(fd < 0 && errno == ENOENT, "%s: absolute symlink does not reach the host", tag);
  fd = pathsafe_openat(root, "/evil", O_PATH | O_NOFOLLOW);
  struct stat st;
  check(fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode), "%s: O_NOFOLLOW on last", tag);
  close(fd);
  snprintf(p, sizeof(p), "%s/loop", rootfs);
  symlink("loop", p);
  fd = pathsafe_openat(root, "/loop/x", O_PATH);
  check(fd < 0 && errno == ELOOP, "%s: symlink loop is ELOOP", tag);
  snprintf(p, sizeof(p), "%s/self", rootfs);
  symlink("/proc/self/root/etc", p);
  struct berr *err = NULL;
  fd = pathsafe_mkpath(root, fallback ? "/evil/made/f" : "/evil/made2/f", PATHSAFE_FILE, &err);
  snprintf(want, sizeof(want), "%s%s/hostdir/%s/f", rootfs, base, fallback ? "made" : "made2");
  check(fd >= 0 && fd_is(fd, want), "%s: mkpath through a symlink creates inside (%s)", tag,
        msg(err));
  close(fd);
  berr_free(err);
  plain_mkpath_tests(root, rootfs, fallback);
  close(root);
}

static void null_check_tests(const char *dir) {
  char p[4096];
  mkdirs("%s/nullroot/dev", dir);
  snprintf(p, sizeof(p), "%s/nullroot/dev/null", dir);
  write_file(p, "not null");
  snprintf(p, sizeof(p), "%s/nullroot", dir);
  int root = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct berr *err = NULL;
  struct stat st;
  int fd = devices_null_source(root, &err);
  check(fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) &&
            (st.st_mode & 0777) == 0666,
        "planted /dev/null: a private null device instead (%s)", msg(err));
  if (fd >= 0)
    close(fd);
  berr_cleanup(&err);
  /* a symlink to a host file is not followed either */
  snprintf(p, sizeof(p), "%s/nullroot/dev/null", dir);
  unlink(p);
  symlink(file_src, p);
  fd = devices_null_source(root, &err);
  check(fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && file_is(file_src, "hostfile"),
        "/dev/null -> host file: a private null device instead (%s)", msg(err));
  if (fd >= 0)
    close(fd);
  close(root);
  berr_free(err);
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f) {
  return remove(p) < 0 ? 0 : 0;
}

static void run_child(int (*fn)(const char *, bool), const char *rootfs, bool arg) {
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) < 0) {
      check(false, "unshare(CLONE_NEWNS): %s", strerror(errno));
      _exit(1);
    }
    _exit(fn(rootfs, arg));
  }
  int status;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status))
    check(false, "child died with signal %d", WTERMSIG(status));
}

/* A helper left in the init user namespace writes our maps once we unshared. */
static bool write_maps_from_helper(int *ready, pid_t target) {
  pid_t h = fork();
  if (h == 0) {
    char c, p[64];
    if (read(ready[0], &c, 1) != 1)
      _exit(1);
    for (int i = 0; i < 2; i++) {
      snprintf(p, sizeof(p), "/proc/%d/%s", target, i ? "gid_map" : "uid_map");
      int fd = open(p, O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write(fd, "0 0 65536", 9) != 9)
        _exit(1);
      close(fd);
    }
    _exit(0);
  }
  return h > 0;
}

static int userns_child(const char *rootfs, bool unused) {
  int ready[2];
  if (pipe(ready) < 0 || !write_maps_from_helper(ready, getpid()))
    return 1;
  if (unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC) < 0) {
    printf("ok - userns: skipped, cannot create a user namespace: %s\n", strerror(errno));
    return 0;
  }
  int status;
  if (write(ready[1], "x", 1) != 1 || wait(&status) < 0 || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    check(false, "userns: write id maps");
    return 1;
  }
  if (unshare(CLONE_NEWNS) < 0) {
    check(false, "userns: unshare(CLONE_NEWNS): %s", strerror(errno));
    return 1;
  }
  pid_t pid = fork(); /* pid 1 of the new pid namespace, so that proc mounts */
  if (pid == 0) {
    userns_mode = true;
    _exit(full_child(rootfs, false));
  }
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int devlink_adapter(const char *r, bool unused) { return devlink_child(r); }

int main(void) {
  if (getuid() != 0) {
    printf("ok - skipped: needs root\n0 passed, 0 failed\n");
    return 77;
  }
  log_set_level(getenv("BERTH_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_WARN);
  counts = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  snprintf(base, sizeof(base), "/tmp/berth-rootfs-XXXXXX");
  if (counts == MAP_FAILED || mkdtemp(base) == NULL)
    return 1;
  char r1[128], r2[128], r3[128], r4[128], p[4096];
  snprintf(r1, sizeof(r1), "%s/rootfs1", base);
  snprintf(r2, sizeof(r2), "%s/rootfs2", base);
  snprintf(r3, sizeof(r3), "%s/rootfs3", base);
  snprintf(r4, sizeof(r4), "%s/rootfs4", base);
  mkdirs("%s/hostdir", base);
  mkdirs("%s/hostdev", base);
  mkdirs("%s/hostshare", base);
  snprintf(share_src, sizeof(share_src), "%s/hostshare", base);
  snprintf(p, sizeof(p), "%s/f", share_src);
  write_file(p, "shared");
  snprintf(file_src, sizeof(file_src), "%s/hostfile", base);
  write_file(file_src, "hostfile");
  build_rootfs(r1);
  build_rootfs(r2);
  build_rootfs(r3);
  build_rootfs(r4);

  resolver_tests(r3, false);
  resolver_tests(r3, true);
  snprintf(p, sizeof(p), "%s/hostdir/marker", base);
  write_file(p, "host"); /* after the resolver tests: they must not find it */
  null_check_tests(base);
  run_child(full_child, r1, false);
  run_child(full_child, r2, true);
  pid_t upid = fork(); /* not run_child: the user namespace comes before the mount one */
  if (upid == 0)
    _exit(userns_child(r4, false));
  waitpid(upid, NULL, 0);

  /* rootfs3: /dev -> host dir */
  snprintf(p, sizeof(p), "%s/dev", r3);
  rmdir(p);
  char t[4096];
  snprintf(t, sizeof(t), "%s/hostdev", base);
  symlink(t, p);
  run_child(devlink_adapter, r3, false);
  check(dir_empty(t), "devlink: nothing created in the host dir %s", t);
  snprintf(p, sizeof(p), "%s%s/hostdev/null", r3, base);
  check(is_chr(p, 1, 3, 0666), "devlink: /dev/null created inside the rootfs");
  refusals(r1);
  idmap_tests(r2);

  nftw(base, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
  printf("%d passed, %d failed\n", counts[0], counts[1]);
  return counts[1] ? 1 : 0;
}
