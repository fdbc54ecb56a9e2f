/* After pivot: linux.maskedPaths and linux.readonlyPaths. Paths are container
 * paths, still resolved with pathsafe anchored at "/", and every mount is made
 * with the fd-based mount API (mounts.h): nothing goes through the
 * container's /proc, which the image controls when the config mounts no
 * procfs there. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libc_compat.h"
#include "cleanup.h"
#include "devices.h"
#include "log.h"
#include "mounts.h"
#include "pathsafe.h"

#define MASK_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

/* A directory gets an empty read-only tmpfs; the first one made is bound onto the next ones
 * (*emptyfd, a clone keeps its read-only flags), so the config's masked directories share one
 * superblock: each new one costs 5 syscalls and an alloc_super, whose shrinker setup walks
 * every memory cgroup of the host (perf: 6% of a create with 1000 containers parked). */
static int mask_one(int rootfd, const char *path, int *nullfd, int *emptyfd, struct berr **err) {
  cleanup_close int fd = pathsafe_openat(rootfd, path, O_PATH);
  struct stat st;
  if (fd < 0 && errno == ENOENT) {
    log_debug("maskedPaths: %s does not exist, skipped", path);
    return 0;
  }
  if (fd < 0 || fstat(fd, &st) < 0)
    return berr_errno(err, "resolve");
  if (S_ISDIR(st.st_mode) && *emptyfd >= 0) {
    if (mnt_bind_onto(*emptyfd, fd, false, 0) < 0)
      return berr_errno(err, "bind the empty read-only tmpfs");
  } else if (S_ISDIR(st.st_mode)) {
    cleanup_close int tmpfs = mnt_tmpfs_detached(MASK_ATTRS);
    if (tmpfs < 0 || mnt_move_onto(tmpfs, fd) < 0)
      return berr_errno(err, "mount an empty read-only tmpfs");
    *emptyfd = steal_fd(&tmpfs);
  } else {
    if (*nullfd < 0 && (*nullfd = devices_null_source(rootfd, err)) < 0)
      return -1;
    if (mnt_bind_onto(*nullfd, fd, false, 0) < 0)
      return berr_errno(err, "bind /dev/null");
  }
  log_debug("maskedPaths: %s masked", path);
  return 0;
}

int masked_paths_apply(const struct spec *spec, int rootfd, struct berr **err) {
  const struct spec_string_list *l = spec->linux ? &spec->linux->masked_paths : NULL;
  cleanup_close int nullfd = -1, emptyfd = -1;
  for (size_t i = 0; l && i < l->len; i++)
    if (mask_one(rootfd, l->items[i], &nullfd, &emptyfd, err) < 0)
      return berr_prefix(err, "linux.maskedPaths[%zu] (%s)", i, l->items[i]);
  return 0;
}

/* A read-only copy of the path (submounts included) bound onto itself. */
static int readonly_one(int rootfd, const char *path, struct berr **err) {
  cleanup_close int fd = pathsafe_openat(rootfd, path, O_PATH);
  if (fd < 0 && errno == ENOENT) {
    log_debug("readonlyPaths: %s does not exist, skipped", path);
    return 0;
  }
  if (fd < 0)
    return berr_errno(err, "resolve");
  if (mnt_bind_onto(fd, fd, true, MOUNT_ATTR_RDONLY) < 0)
    return berr_errno(err, "bind read-only onto itself");
  log_debug("readonlyPaths: %s read-only", path);
  return 0;
}

int readonly_paths_apply(const struct spec *spec, int rootfd, struct berr **err) {
  const struct spec_string_list *l = spec->linux ? &spec->linux->readonly_paths : NULL;
  for (size_t i = 0; l && i < l->len; i++)
    if (readonly_one(rootfd, l->items[i], err) < 0)
      return berr_prefix(err, "linux.readonlyPaths[%zu] (%s)", i, l->items[i]);
  return 0;
}
