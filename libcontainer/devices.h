/* /dev in the container: the default devices, linux.devices, the standard
 * links, /dev/ptmx and /dev/console, all created through pathsafe inside the
 * rootfs so that an image whose /dev is a symlink cannot make us mknod on
 * the host. */
#ifndef BERTH_DEVICES_H
#define BERTH_DEVICES_H

#include "error.h"
#include "rootfs.h"
#include "spec.h"

/* Before pivot, rootfd = the rootfs. Skips devices and links when a config
 * mount binds something onto /dev itself (as runc does). mknod, or in a user
 * namespace an empty file with the host's device bound over it. */
int devices_setup(const struct spec *spec, int rootfd, const struct rootfs_opts *opts,
                  struct berr **err);

/* An O_PATH fd to bind over masked files: <root>/dev/null when it is the
 * character device 1:3 (opened without following a symlink), else, when the
 * image planted a file or link there, a private null device in a detached
 * tmpfs (an empty read-only file where mknod is denied). Never the image's. */
int devices_null_source(int rootfd, struct berr **err);

#endif
