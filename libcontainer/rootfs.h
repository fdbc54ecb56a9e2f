/* The container's filesystem view, built inside its new mount namespace (or below the rootfs
 * of a shared one: rootmount.h).
 * Called by the container init (init.c) in this order:
 *   rootfs_setup() -> [createContainer hooks] -> rootfs_pivot() -> rootfs_finalize() */
#ifndef BERTH_ROOTFS_H
#define BERTH_ROOTFS_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

struct rootfs_opts {
  const char *rootfs;      /* absolute, canonical host path of root.path */
  bool no_pivot;           /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
  bool in_userns;          /* a new user namespace: mknod is not allowed, bind host devices */
  bool new_pidns;          /* false (joined or host pid ns): /proc still mounts fine */
  bool cgroupns;           /* in a cgroup namespace (new or joined): fresh v1 cgroup mounts */
  bool new_ipcns;          /* false: an mqueue mount is another's, linux.mountLabel leaves it */
  const char *console_path; /* pty slave path (host view) to bind on /dev/console, or NULL */
  const char *mount_label;  /* linux.mountLabel: SELinux context of tmpfs/devpts/mqueue */
  const int *idmap_fds;     /* per mounts[i]: the runtime's clone (idmap.h), or -1 (or NULL) */
  /* no mount namespace of the container's own (rootmount.h): "/" is left alone, the rootfs is
   * bound onto itself and chrooted into; *root_mnt_id gets that bind's mount id, and
   * record_root_mount is called with it while the bind is still detached (open_tree): only
   * once it returns 0 (the runtime has it in state.json) is the bind attached, so whenever the
   * runtime is killed the bind is either recorded or never made */
  bool shared_mntns;
  unsigned long long *root_mnt_id;
  int (*record_root_mount)(void *arg, unsigned long long mnt_id, struct berr **err);
  void *record_arg;
};

/* Propagation of "/", bind of the rootfs onto itself, config mounts in order,
 * /dev: default devices, linux.devices, links, /dev/console. */
int rootfs_setup(const struct spec *spec, const struct rootfs_opts *opts, struct berr **err);
/* pivot_root into the rootfs (or MS_MOVE + chroot); cwd is "/" afterwards. */
int rootfs_pivot(const struct spec *spec, const struct rootfs_opts *opts, struct berr **err);
/* After pivot: maskedPaths, readonlyPaths, root.readonly, rootfsPropagation of "/". */
int rootfs_finalize(const struct spec *spec, const struct rootfs_opts *opts, struct berr **err);

#endif
