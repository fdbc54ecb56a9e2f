/* After pivot: linux.maskedPaths and linux.readonlyPaths. Paths are container
 * paths but still resolved with pathsafe anchored at "/", and mounts target
 * the resolved fds through the container's /proc/self/fd (checked to be a
 * real procfs first). */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "devices.h"
#include "log.h"
#include "mounts.h"
#include "pathsafe.h"

/* Our mounts go through /proc/self/fd/N: an image's fake /proc must not steer them. */
static int check_procfs(int rootfd, const char *what, struct berr **err) {
  cleanup_close int fd = pathsafe_openat(rootfd, "/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW);
  struct statfs sf;
  if (fd >= 0 && fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC)
    return 0;
  return berr_set(err, ENOENT, "%s: /proc in the container is not a procfs: add a \"proc\" "
                               "mount on /proc to the config",
                  what);
}

static int mask_one(int rootfd, const char *path, int *nullfd, struct berr **err) {
  cleanup_close int fd = pathsafe_openat(rootfd, path, O_PATH);
  struct stat st;
  if (fd < 0 && errno == ENOENT) {
    log_debug("maskedPaths: %s does not exist, skipped", path);
    return 0;
  }
  if (fd < 0 || fstat(fd, &st) < 0)
    return berr_errno(err, "resolve");
  if (S_ISDIR(st.st_mode)) {
    if (mnt_at("tmpfs", fd, "tmpfs", MS_RDONLY, NULL) < 0)
      return berr_errno(err, "mount tmpfs ro");
  } else {
    if (*nullfd < 0 && (*nullfd = devices_open_null(rootfd, err)) < 0)
      return -1;
    char p[PATHSAFE_FDPATH_MAX];
    if (mnt_at(pathsafe_fdpath(*nullfd, p), fd, NULL, MS_BIND, NULL) < 0)
      return berr_errno(err, "bind /dev/null");
  }
  log_debug("maskedPaths: %s masked", path);
  return 0;
}

int masked_paths_apply(const struct spec *spec, int rootfd, struct berr **err) {
  const struct spec_string_list *l = spec->linux ? &spec->linux->masked_paths : NULL;
  if (l == NULL || l->len == 0)
    return 0;
  if (check_procfs(rootfd, "linux.maskedPaths", err) < 0)
    return -1;
  cleanup_close int nullfd = -1;
  for (size_t i = 0; i < l->len; i++)
    if (mask_one(rootfd, l->items[i], &nullfd, err) < 0)
      return berr_prefix(err, "linux.maskedPaths[%zu] (%s)", i, l->items[i]);
  return 0;
}

static int readonly_one(int rootfd, const char *path, struct berr **err) {
  cleanup_close int fd = pathsafe_openat(rootfd, path, O_PATH);
  if (fd < 0 && errno == ENOENT) {
    log_debug("readonlyPaths: %s does not exist, skipped", path);
    return 0;
  }
  if (fd < 0)
    return berr_errno(err, "resolve");
  char p[PATHSAFE_FDPATH_MAX];
  if (mnt_at(pathsafe_fdpath(fd, p), fd, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berr_errno(err, "bind onto itself");
  cleanup_close int top = pathsafe_openat(rootfd, path, O_PATH);
  if (top < 0 || mnt_remount_bind(top, MS_RDONLY, ~0UL) < 0)
    return berr_errno(err, "remount read-only");
  log_debug("readonlyPaths: %s read-only", path);
  return 0;
}

int readonly_paths_apply(const struct spec *spec, int rootfd, struct berr **err) {
  const struct spec_string_list *l = spec->linux ? &spec->linux->readonly_paths : NULL;
  if (l == NULL || l->len == 0)
    return 0;
  if (check_procfs(rootfd, "linux.readonlyPaths", err) < 0)
    return -1;
  for (size_t i = 0; i < l->len; i++)
    if (readonly_one(rootfd, l->items[i], err) < 0)
      return berr_prefix(err, "linux.readonlyPaths[%zu] (%s)", i, l->items[i]);
  return 0;
}
