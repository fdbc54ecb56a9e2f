/* The container's filesystem view: see rootfs.h. The pieces live in
 * pathsafe.c (resolution inside the rootfs), mounts.c (one config mount),
 * devices.c (/dev) and masked.c (maskedPaths, readonlyPaths). */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "devices.h"
#include "libc_compat.h"
#include "log.h"
#include "mounts.h"
#include "pathsafe.h"
#include "procfs.h"
#include "util.h"

static unsigned long root_propagation(const struct spec *spec) {
  if (spec->linux && spec->linux->rootfs_propagation)
    return spec->linux->rootfs_propagation;
  return MS_SLAVE | MS_REC;
}

static bool path_under(const char *path, const char *mp) {
  size_t n = strlen(mp);
  if (strcmp(mp, "/") == 0)
    return true;
  return strncmp(path, mp, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* pivot_root refuses a new root whose parent mount is shared (possible with
 * rootfsPropagation "shared"): make the mount holding the rootfs private. */
static int make_parent_private(const char *rootfs, struct berr **err) {
  cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return berr_errno(err, "open /proc/self/mountinfo");
  cleanup_free char *line = NULL;
  size_t cap = 0, best_len = 0;
  char best[4096] = "";
  bool best_shared = false;
  while (getline(&line, &cap, f) > 0) {
    char mp[4096];
    const char *sep = strstr(line, " - ");
    if (sep == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
      continue;
    mountinfo_unescape(mp);
    size_t n = strlen(mp);
    if (path_under(rootfs, mp) && n >= best_len) {
      best_len = n;
      snprintf(best, sizeof(best), "%s", mp);
      char *opt = strstr(line, "shared:");
      best_shared = opt != NULL && opt < sep;
    }
  }
  if (best_shared && mount(NULL, best, NULL, MS_PRIVATE, NULL) < 0)
    return berr_errno(err, "make %s private", best);
  return 0;
}

/* A new mount namespace: the propagation of its "/" (rslave unless rootfsPropagation says),
 * and pivot_root's condition on the rootfs's parent mount. Not in a shared namespace: its "/"
 * and the mount holding the rootfs are the host's (or the joined namespace's), not ours. */
static int prepare_new_namespace(const struct spec *spec, const struct rootfs_opts *opts,
                                 struct berr **err) {
  unsigned long prop = root_propagation(spec);
  if (mount(NULL, "/", NULL, prop, NULL) < 0)
    return berr_errno(err, "set the propagation of / to 0x%lx", prop);
  /* after a recursive slave or private propagation (the default: rslave) nothing is
   * shared: no mountinfo to read */
  bool none_shared = (prop & MS_REC) && (prop & (MS_SLAVE | MS_PRIVATE)) && !(prop & MS_SHARED);
  if (!none_shared && make_parent_private(opts->rootfs, err) < 0)
    return berr_prefix(err, "rootfs %s", opts->rootfs);
  log_debug("rootfs %s: propagation of / 0x%lx", opts->rootfs, prop);
  return 0;
}

/* A mount namespace not the container's own outlives the create: the rootfs's bind there is
 * made detached (open_tree), its id recorded by the runtime (record_root_mount), and only then
 * attached. A runtime killed before the record leaves a detached tree, which goes with the
 * last fd on it (the init dies with the runtime); killed after, `delete` finds the id. */
static int bind_shared_root(const struct rootfs_opts *opts, struct berr **err) {
  cleanup_close int tree = open_tree(AT_FDCWD, opts->rootfs,
                                     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  bool attached = false;
  if (tree < 0 && errno != ENOSYS)
    return berr_errno(err, "bind the rootfs %s onto itself", opts->rootfs);
  if (tree < 0) {
    /* no open_tree (before Linux 5.2): mounted, then recorded; a kill between the two
     * leaves the bind */
    if (mount(opts->rootfs, opts->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
      return berr_errno(err, "bind the rootfs %s onto itself", opts->rootfs);
    attached = true;
    tree = open(opts->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (tree < 0)
      return berr_errno(err, "open the rootfs %s", opts->rootfs);
  }
  if (mnt_id_of(tree, opts->root_mnt_id) < 0)
    return berr_errno(err, "rootfs %s: mount id of its bind", opts->rootfs);
  if (opts->record_root_mount &&
      opts->record_root_mount(opts->record_arg, *opts->root_mnt_id, err) < 0)
    return -1;
  if (attached)
    return 0;
  cleanup_close int target = open(opts->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (target < 0 || mnt_move_onto(tree, target) < 0)
    return berr_errno(err, "bind the rootfs %s onto itself", opts->rootfs);
  return 0;
}

int rootfs_setup(const struct spec *spec, const struct rootfs_opts *opts, struct berr **err) {
  if (opts->shared_mntns) {
    if (bind_shared_root(opts, err) < 0)
      return -1;
  } else {
    if (prepare_new_namespace(spec, opts, err) < 0)
      return -1;
    if (mount(opts->rootfs, opts->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
      return berr_errno(err, "bind the rootfs %s onto itself", opts->rootfs);
  }
  cleanup_close int rootfd = open(opts->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berr_errno(err, "open the rootfs %s", opts->rootfs);
  /* from here on, whatever fails: the caller unmounts this bind and all below it */
  log_debug("rootfs %s: %zu mounts%s", opts->rootfs, spec->mounts_len,
            opts->shared_mntns ? " (in a mount namespace not the container's own)" : "");
  for (size_t i = 0; i < spec->mounts_len; i++)
    if (mount_config_entry(&spec->mounts[i], i, rootfd, opts, err) < 0)
      return -1;
  return devices_setup(spec, rootfd, opts, err);
}

/* One full proc or sysfs mount of the runtime's, out of the container's reach: detached, or
 * (where it is locked: a user namespace) covered with an empty tmpfs. */
static int hide_one(const char *mp, struct berr **err) {
  /* rslave first: the detach must not reach the host through a shared rootfsPropagation */
  if (mount(NULL, mp, NULL, MS_SLAVE | MS_REC, NULL) < 0 && errno != EINVAL)
    return berr_errno(err, "--no-pivot: make %s rslave", mp);
  if (umount2(mp, MNT_DETACH) == 0)
    return 0;
  if (errno != EINVAL && errno != EPERM)
    return berr_errno(err, "--no-pivot: unmount %s", mp);
  if (mount("tmpfs", mp, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) < 0)
    return berr_errno(err, "--no-pivot: cover %s", mp);
  return 0;
}

/* --no-pivot keeps the runtime's old root in the container's mount namespace, under its root.
 * The kernel lets a nested user namespace mount a procfs or sysfs when a full, unmasked one is
 * anywhere in its mount namespace ("mount too revealing"): the host's /proc and /sys would do.
 * Every proc and sysfs mount outside the rootfs goes, as runc does (runc issue #2647). */
static bool under_any(const char *path, char *const *dirs, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (path_under(path, dirs[i]))
      return true;
  return false;
}

static int hide_host_pseudo_fs(const char *rootfs, struct berr **err) {
  cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL)
    return berr_errno(err, "--no-pivot: open /proc/self/mountinfo");
  cleanup_free char *line = NULL;
  cleanup_strv char **gone = NULL; /* NULL-terminated */
  size_t cap = 0, n = 0;
  while (getline(&line, &cap, f) > 0) {
    char mp[4096], type[64];
    const char *sep = strstr(line, " - ");
    if (sep == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
        sscanf(sep + 3, "%63s", type) != 1 ||
        (strcmp(type, "proc") != 0 && strcmp(type, "sysfs") != 0))
      continue;
    mountinfo_unescape(mp);
    /* below a mount already detached: gone with it */
    if (path_under(mp, rootfs) || under_any(mp, gone, n))
      continue;
    if (hide_one(mp, err) < 0)
      return -1;
    char **v = realloc(gone, (n + 2) * sizeof(*v));
    if (v == NULL || (v[n] = strdup(mp)) == NULL) {
      gone = v ? v : gone;
      return berr_set(err, ENOMEM, "--no-pivot");
    }
    v[++n] = NULL;
    gone = v;
    log_debug("--no-pivot: %s (%s) out of the container's mount namespace", mp, type);
  }
  return 0;
}

static int move_root(const struct rootfs_opts *opts, struct berr **err) {
  if (hide_host_pseudo_fs(opts->rootfs, err) < 0)
    return -1;
  if (chdir(opts->rootfs) < 0)
    return berr_errno(err, "chdir %s", opts->rootfs);
  if (mount(opts->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return berr_errno(err, "move the rootfs onto /");
  if (chroot(".") < 0)
    return berr_errno(err, "chroot");
  if (chdir("/") < 0)
    return berr_errno(err, "chdir /");
  log_debug("rootfs: moved onto / and chrooted (no pivot)");
  return 0;
}

/* A shared mount namespace: chroot only. pivot_root (or MS_MOVE onto /) would change the root
 * of that namespace, the host's or the joined one's, for every process in it. */
static int chroot_only(const struct rootfs_opts *opts, struct berr **err) {
  if (chdir(opts->rootfs) < 0)
    return berr_errno(err, "chdir %s", opts->rootfs);
  if (chroot(".") < 0)
    return berr_errno(err, "chroot %s", opts->rootfs);
  if (chdir("/") < 0)
    return berr_errno(err, "chdir /");
  log_debug("rootfs: chrooted into %s (no mount namespace of the container's own)", opts->rootfs);
  return 0;
}

int rootfs_pivot(const struct spec *spec, const struct rootfs_opts *opts, struct berr **err) {
  if (opts->shared_mntns)
    return chroot_only(opts, err);
  if (opts->no_pivot)
    return move_root(opts, err);
  cleanup_close int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_close int newroot = open(opts->rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0 || newroot < 0)
    return berr_errno(err, "open %s", oldroot < 0 ? "/" : opts->rootfs);
  if (fchdir(newroot) < 0)
    return berr_errno(err, "chdir %s", opts->rootfs);
  /* pivot_root(".", "."): the old root ends up stacked on the new one, no put_old dir needed */
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return berr_errno(err, "pivot_root %s", opts->rootfs);
  if (fchdir(oldroot) < 0)
    return berr_errno(err, "chdir to the old root");
  /* the detach below must not propagate to the host */
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return berr_errno(err, "make the old root rslave");
  if (umount2(".", MNT_DETACH) < 0)
    return berr_errno(err, "unmount the old root");
  if (chdir("/") < 0)
    return berr_errno(err, "chdir /");
  log_debug("rootfs: pivoted into %s", opts->rootfs);
  return 0;
}

static int remount_root_readonly(int rootfd, struct berr **err) {
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | mnt_current_flags(rootfd);
  if (mount(NULL, "/", NULL, flags, NULL) < 0)
    return berr_errno(err, "root.readonly: remount / read-only");
  log_debug("rootfs: / is read-only");
  return 0;
}

/* A read-only /dev (mnt_is_readonly_dev) once everything in it is made. */
static int remount_dev_readonly(const struct spec *spec, int rootfd, struct berr **err) {
  for (size_t i = spec->mounts_len; i-- > 0;) {
    const char *d = spec->mounts[i].destination;
    if (d == NULL || strncmp(d, "/dev", 4) != 0 || d[4 + strspn(d + 4, "/")] != '\0')
      continue;
    if (!mnt_is_readonly_dev(&spec->mounts[i]))
      return 0; /* the last /dev mount is the one on top */
    cleanup_close int dev = pathsafe_openat(rootfd, "/dev", O_PATH | O_DIRECTORY);
    if (dev < 0 || mnt_remount_bind(dev, MS_RDONLY, ~0UL) < 0)
      return berr_errno(err, "mounts[%zu] (%s): remount read-only", i, spec->mounts[i].destination);
    return 0;
  }
  return 0;
}

int rootfs_finalize(const struct spec *spec, const struct rootfs_opts *opts, struct berr **err) {
  cleanup_close int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return berr_errno(err, "open /");
  if (remount_dev_readonly(spec, rootfd, err) < 0)
    return -1;
  if (masked_paths_apply(spec, rootfd, err) < 0 || readonly_paths_apply(spec, rootfd, err) < 0)
    return -1;
  if (spec->root.readonly && remount_root_readonly(rootfd, err) < 0)
    return -1;
  if (spec->linux && spec->linux->rootfs_propagation &&
      mount(NULL, "/", NULL, spec->linux->rootfs_propagation, NULL) < 0)
    return berr_errno(err, "linux.rootfsPropagation: set the propagation of / to 0x%lx",
                      spec->linux->rootfs_propagation);
  return 0;
}
