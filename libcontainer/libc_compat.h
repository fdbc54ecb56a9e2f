/* What berth uses of the kernel that a C library may not wrap: glibc 2.36 declares the new
 * mount API (open_tree, move_mount, fsopen/fsconfig/fsmount, mount_setattr) in <sys/mount.h>;
 * musl (the static build, scripts/setup-build.sh) does not, nor statx's STATX_MNT_ID or
 * renameat2. Here they are, from the kernel's uapi headers and syscall(2). Include after
 * <sys/mount.h>. */
#ifndef BERTH_LIBC_COMPAT_H
#define BERTH_LIBC_COMPAT_H

#if !defined(__GLIBC__)
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int open_tree(int dfd, const char *path, unsigned int flags) {
  return (int)syscall(SYS_open_tree, dfd, path, flags);
}
static inline int move_mount(int from_dfd, const char *from, int to_dfd, const char *to,
                             unsigned int flags) {
  return (int)syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}
static inline int fsopen(const char *fsname, unsigned int flags) {
  return (int)syscall(SYS_fsopen, fsname, flags);
}
static inline int fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux) {
  return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}
static inline int fsmount(int fd, unsigned int flags, unsigned int attr_flags) {
  return (int)syscall(SYS_fsmount, fd, flags, attr_flags);
}
static inline int mount_setattr(int dfd, const char *path, unsigned int flags,
                                struct mount_attr *attr, size_t size) {
  return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr, size);
}
static inline int statx(int dfd, const char *path, int flags, unsigned int mask,
                        struct statx *buf) {
  return (int)syscall(SYS_statx, dfd, path, flags, mask, buf);
}
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
static inline int renameat2(int olddfd, const char *old, int newdfd, const char *new_,
                            unsigned int flags) {
  return (int)syscall(SYS_renameat2, olddfd, old, newdfd, new_, flags);
}
#endif

/* the System V name of SIGCHLD, which kill(1) and runc accept; musl does not define it */
#ifndef SIGCLD
#define SIGCLD SIGCHLD
#endif

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef MOUNT_ATTR_NOSUID
#define MOUNT_ATTR_NOSUID 0x00000002
#endif
#ifndef MOUNT_ATTR_NODEV
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef MOUNT_ATTR_NOEXEC
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif
#ifndef MOUNT_ATTR__ATIME
#define MOUNT_ATTR__ATIME 0x00000070
#endif
#ifndef MOUNT_ATTR_RELATIME
#define MOUNT_ATTR_RELATIME 0x00000000
#endif
#ifndef MOUNT_ATTR_NOATIME
#define MOUNT_ATTR_NOATIME 0x00000010
#endif
#ifndef MOUNT_ATTR_STRICTATIME
#define MOUNT_ATTR_STRICTATIME 0x00000020
#endif
#ifndef MOUNT_ATTR_NODIRATIME
#define MOUNT_ATTR_NODIRATIME 0x00000080
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

#endif
