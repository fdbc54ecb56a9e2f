/* The rootfs of a container sharing a mount namespace: see rootmount.h. */
#include "rootmount.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "procfs.h"

/* 0: unmounted or nothing to do; else an errno */
static int undo_here(const char *rootfs, uint64_t mnt_id) {
  cleanup_close int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT || errno == ENOTDIR ? 0 : errno;
  unsigned long long id;
  if (mnt_id_of(fd, &id) < 0)
    return errno;
  if (id != mnt_id) {
    log_debug("rootfs %s: top mount %llu, not berth's %llu: nothing to unmount", rootfs, id,
              (unsigned long long)mnt_id);
    return 0;
  }
  char p[32];
  snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
  return umount2(p, MNT_DETACH) < 0 ? errno : 0;
}

int rootmount_undo(int nsfd, const char *rootfs, uint64_t mnt_id, struct berr **err) {
  if (mnt_id == 0)
    return 0;
  int e;
  if (nsfd < 0) {
    e = undo_here(rootfs, mnt_id);
  } else {
    /* setns(CLONE_NEWNS) changes the caller's root and cwd: a child's, not ours */
    pid_t pid = fork();
    if (pid < 0)
      return berr_errno(err, "fork");
    if (pid == 0)
      _exit(setns(nsfd, CLONE_NEWNS) < 0 ? errno : undo_here(rootfs, mnt_id));
    int status;
    while (waitpid(pid, &status, 0) < 0)
      if (errno != EINTR)
        return berr_errno(err, "wait");
    e = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
  }
  if (e)
    return berr_code(err, e, "unmount the rootfs %s (mount %llu): %s", rootfs,
                     (unsigned long long)mnt_id, strerror(e));
  return 0;
}

int rootmount_open_ns(const char *path, uint64_t ino) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_ino != ino)) {
    close(fd);
    fd = -1;
  }
  return fd;
}
