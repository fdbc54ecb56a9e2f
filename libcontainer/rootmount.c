/* The rootfs of a container sharing a mount namespace: see rootmount.h. */
#include "rootmount.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "procfs.h"
#include "util.h"

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

int rootmount_record(int dirfd, const char *rootfs, uint64_t mnt_id, const char *ns_path,
                     uint64_t ns_ino, struct berr **err) {
  char ids[64];
  int n = snprintf(ids, sizeof(ids), "%llu%c%llu", (unsigned long long)mnt_id, '\0',
                   (unsigned long long)ns_ino);
  size_t rl = strlen(rootfs), pl = ns_path ? strlen(ns_path) : 0;
  size_t len = (size_t)n + 1 + rl + 1 + pl + 1;
  cleanup_free char *buf = malloc(len);
  if (buf == NULL)
    return berr_set(err, ENOMEM, "state");
  memcpy(buf, ids, (size_t)n + 1);
  memcpy(buf + n + 1, rootfs, rl + 1);
  memcpy(buf + n + 1 + rl + 1, ns_path ? ns_path : "", pl + 1);
  return write_file_atomic_at(dirfd, ROOTMOUNT_FILE, buf, len, 0600, err);
}

/* the next NUL-terminated field of [*p, end), or NULL */
static const char *field(const char **p, const char *end) {
  const char *f = *p, *nul = f < end ? memchr(f, '\0', (size_t)(end - f)) : NULL;
  if (nul == NULL)
    return NULL;
  *p = nul + 1;
  return f;
}

int rootmount_undo_recorded(int dirfd, struct berr **err) {
  cleanup_free char *text = NULL;
  size_t len = 0;
  cleanup_berr struct berr *e = NULL;
  if (read_file_at(dirfd, ROOTMOUNT_FILE, &text, &len, &e) < 0) {
    if (berr_errcode(&e) == ENOENT)
      return 0;
    return berr_move(err, &e);
  }
  const char *p = text, *end = text + len;
  const char *id = field(&p, end), *ino = field(&p, end), *rootfs = field(&p, end),
             *ns = field(&p, end);
  char *ie = NULL, *ne = NULL;
  unsigned long long mnt_id = id ? strtoull(id, &ie, 10) : 0;
  unsigned long long ns_ino = ino ? strtoull(ino, &ne, 10) : 0;
  if (ns == NULL || ie == id || *ie || ne == ino || *ne || rootfs[0] != '/')
    return berr_code(err, EINVAL, "%s: not a record of berth's", ROOTMOUNT_FILE);
  cleanup_close int nsfd = -1;
  if (ns[0] && rootmount_open_ns(ns, ns_ino, &nsfd, err) < 0)
    return -1;
  if (ns[0] && nsfd < 0)
    return 0;
  return rootmount_undo(nsfd, rootfs, mnt_id, err);
}

int rootmount_open_ns(const char *path, uint64_t ino, int *fd, struct berr **err) {
  *fd = -1;
  cleanup_close int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0 && errno != ENOENT && errno != ESRCH)
    return berr_errno(err, "mount namespace %s", path);
  struct stat st;
  if (f >= 0 && fstat(f, &st) < 0)
    return berr_errno(err, "mount namespace %s", path);
  if (f >= 0 && st.st_ino == ino)
    *fd = steal_fd(&f);
  else
    log_debug("mount namespace %s is gone, and the rootfs's mounts with it", path);
  return 0;
}
