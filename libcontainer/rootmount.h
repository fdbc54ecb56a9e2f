/* A container without a mount namespace of its own (linux.namespaces lists none: the runtime's
 * is inherited; or gives one by path: it is entered). The init builds the rootfs there as in a
 * new one, but only below the bundle's rootfs: the rootfs is bound onto itself, everything else
 * is mounted below that bind, and the process is chrooted into it (no pivot_root, which would
 * move the root of every process in that namespace). The bind is made detached (open_tree); its
 * mount id goes to the runtime (SYNC_ROOT_MOUNT) and into state.json before the init attaches
 * it (SYNC_ROOT_MOUNT_RECORDED), so a killed create never leaves a bind nobody recorded; a
 * failed create and `delete` unmount it, with all that is mounted below it, so the namespace's
 * mount table is as it was before. */
#ifndef BERTH_ROOTMOUNT_H
#define BERTH_ROOTMOUNT_H

#include <stdint.h>

#include "error.h"

/* Unmounts (MNT_DETACH: with everything below it) the top mount at `rootfs` when it is the
 * mount `mnt_id`, in the mount namespace nsfd (entered by a child process), or the caller's
 * when nsfd is -1. A rootfs that is gone or covered by another mount: nothing to do. */
int rootmount_undo(int nsfd, const char *rootfs, uint64_t mnt_id, struct berr **err);

/* *fd: the mount namespace at `path` when it is still the one with inode `ino` (recorded at
 * create), else -1 (gone: so are its mounts). -1 when it cannot be told (an open that fails
 * other than ENOENT): not "gone", or delete would forget a bind it could not reach. */
int rootmount_open_ns(const char *path, uint64_t ino, int *fd, struct berr **err);

/* The same record as state.json's, in a file of its own in the state directory (ROOTMOUNT_FILE:
 * "<mount id>\0<namespace inode>\0<rootfs>\0<namespace path or empty>\0"), written with it
 * before the bind is attached: `delete --force` of a container whose state.json cannot be read
 * or trusted still finds the bind. */
#define ROOTMOUNT_FILE "root-mount"
int rootmount_record(int dirfd, const char *rootfs, uint64_t mnt_id, const char *ns_path,
                     uint64_t ns_ino, struct berr **err);
/* rootmount_undo() of what ROOTMOUNT_FILE records; no file: nothing to do. */
int rootmount_undo_recorded(int dirfd, struct berr **err);

#endif
