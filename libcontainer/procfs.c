/* The private procfs handle: see procfs.h. */
#include "libc_compat.h"
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "util.h"

static int proc_root = -1;
static bool no_openat2;

static bool is_procfs(int fd) {
  struct statfs sf;
  return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

int mnt_id_of(int fd, unsigned long long *id) {
  struct statx sx;
  if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0)
    return -1;
  *id = sx.stx_mnt_id;
  return 0;
}

/* A procfs of the caller's pid namespace that is nobody else's: nothing can be
 * mounted on a detached mount that only this process holds. */
static int fresh_procfs(void) {
  cleanup_close int fs = fsopen("proc", FSOPEN_CLOEXEC);
  if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -1;
  return fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
}

static int open_handle(void) {
  int fd = fresh_procfs();
  if (fd >= 0)
    return fd;
  /* a user namespace may not mount a procfs where /proc is partly covered:
   * clone /proc instead, without AT_RECURSIVE, so without what covers it */
  log_debug("procfs: fsopen: %s; cloning /proc", strerror(errno));
  fd = open_tree(AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (fd >= 0)
    return fd;
  /* locked submounts cannot be left behind: /proc itself, lookups cross no mount */
  log_debug("procfs: open_tree /proc: %s; using /proc", strerror(errno));
  return open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int proc_handle_prepare(void) {
  if (proc_root >= 0)
    return 0;
  cleanup_close int fd = open_handle();
  if (fd < 0)
    return -1;
  if (!is_procfs(fd)) {
    errno = EXDEV;
    return -1;
  }
  proc_root = steal_fd(&fd);
  return 0;
}

void proc_handle_reset(void) {
  if (proc_root >= 0)
    close(proc_root);
  proc_root = -1;
}

/* Without openat2 (before Linux 5.6): a plain openat, then the same checks by hand. */
static int open_below_compat(const char *rel, int flags) {
  unsigned long long want, got;
  cleanup_close int fd = openat(proc_root, rel, flags | O_NOFOLLOW);
  if (fd < 0 || mnt_id_of(proc_root, &want) < 0 || mnt_id_of(fd, &got) < 0)
    return -1;
  if (got != want) {
    errno = EXDEV;
    return -1;
  }
  return steal_fd(&fd);
}

int proc_openat(const char *rel, int flags) {
  if (proc_handle_prepare() < 0)
    return -1;
  flags |= O_CLOEXEC | O_NOCTTY;
  cleanup_close int fd = -1;
  if (!no_openat2) {
    struct open_how how = {
        .flags = (unsigned long long)flags,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS,
    };
    for (int i = 0; i < 16; i++) {
      fd = (int)syscall(SYS_openat2, proc_root, rel, &how, sizeof(how));
      if (fd >= 0 || errno != EAGAIN)
        break;
    }
    if (fd < 0 && errno == ENOSYS)
      no_openat2 = true;
  }
  if (no_openat2)
    fd = open_below_compat(rel, flags);
  if (fd < 0)
    return -1;
  if (!is_procfs(fd)) {
    errno = EXDEV;
    return -1;
  }
  return steal_fd(&fd);
}

int proc_write(const char *rel, const char *data, size_t len, struct berr **err) {
  cleanup_close int fd = proc_openat(rel, O_WRONLY);
  if (fd < 0)
    return berr_errno(err, "open /proc/%s", rel);
  if (write_all(fd, data, len) < 0)
    return berr_errno(err, "write /proc/%s", rel);
  return 0;
}
