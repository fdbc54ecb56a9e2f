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

/* Opens <root>/dev/null without following a symlink (O_PATH) and checks that
 * it is the character device 1:3: a file or link planted by the image is refused. */
int devices_open_null(int rootfd, struct berr **err);

#endif
