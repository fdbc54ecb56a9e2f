/* Mounting onto fds resolved inside the rootfs: one config mount
 * (mounts.c), and the post-pivot maskedPaths / readonlyPaths (masked.c). */
#ifndef BERTH_MOUNTS_H
#define BERTH_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "rootfs.h"
#include "spec.h"

/* mount(2) with the target given as an fd ("/proc/self/fd/N"), so that a
 * path swapped after resolution cannot redirect it. Returns 0 or -1 with errno. */
int mnt_at(const char *src, int targetfd, const char *type, unsigned long flags,
           const char *data);
/* The new mount API, fds only (no /proc/self/fd path): usable after pivot whatever
 * the container's /proc is. All return 0 (or an fd) or -1 with errno. */
/* A fresh tmpfs, not attached anywhere yet, with MOUNT_ATTR_* attrs; returns its fd. */
int mnt_tmpfs_detached(uint64_t attrs);
/* Attaches a detached mount (tmpfs above, open_tree clone) on top of targetfd. */
int mnt_move_onto(int treefd, int targetfd);
/* Binds what srcfd names (with its submounts when recursive) on top of targetfd,
 * with the MOUNT_ATTR_* attr_set applied to the copy before it is attached. */
int mnt_bind_onto(int srcfd, int targetfd, bool recursive, uint64_t attr_set);

/* MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_RDONLY as currently set on the mount of fd. */
unsigned long mnt_current_flags(int fd);
/* MS_REMOUNT|MS_BIND|flags on the mount fd is the root of, plus those of
 * its current nosuid/nodev/noexec/rdonly flags that are in `keep` (in a user
 * namespace they are locked: a remount that drops them fails with EPERM). */
int mnt_remount_bind(int fd, unsigned long flags, unsigned long keep);

/* A bind mount: type "bind", or a bind/rbind option (MS_BIND). */
bool mnt_is_bind(const struct spec_mount *m);
/* A /dev mount (not a bind) asked read-only: mounted writable, so that its submounts, the
 * device nodes and links can be made, and made read-only by rootfs_finalize (runc's order). */
bool mnt_is_readonly_dev(const struct spec_mount *m);

/* Mounts spec->mounts[idx] inside the rootfs opened at rootfd (before pivot).
 * Errors are prefixed with "mounts[idx] (destination)". */
int mount_config_entry(const struct spec_mount *m, size_t idx, int rootfd,
                       const struct rootfs_opts *opts, struct berr **err);

/* After pivot, rootfd = "/": linux.maskedPaths and linux.readonlyPaths.
 * Missing paths are skipped. Needs /proc to be a procfs in the container. */
int masked_paths_apply(const struct spec *spec, int rootfd, struct berr **err);
int readonly_paths_apply(const struct spec *spec, int rootfd, struct berr **err);

#endif
