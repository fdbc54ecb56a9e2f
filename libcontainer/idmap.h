/* Idmapped mounts: mounts[i] with uidMappings/gidMappings or the "idmap" /
 * "ridmap" options.
 *
 * The runtime makes them, in the host's user and mount namespaces, before it
 * forks stage1: mount_setattr(MOUNT_ATTR_IDMAP) needs CAP_SYS_ADMIN over the
 * source's superblock, which the container's root in a new user namespace
 * never has. For each such mount the runtime clones the source
 * (open_tree(OPEN_TREE_CLONE), AT_RECURSIVE for rbind), makes the detached
 * copy a slave like every other mount of the container, and attaches a user
 * namespace holding the mapping (recursively for "ridmap"). The init inherits
 * the fds across fork and clone and move_mount()s each one onto its
 * destination, resolved inside the rootfs (mounts.c).
 *
 * In a container with a user namespace (and a runtime with CAP_SYS_ADMIN over its mount
 * namespace), every other bind's source is cloned the same way, without a mapping: the init
 * uses that clone only when its root cannot reach the source itself (EACCES: under a
 * root-owned 0700 directory), as runc's mount fds; a bind it makes keeps the kernel's locks on
 * the submounts. */
#ifndef BERTH_IDMAP_H
#define BERTH_IDMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "namespaces.h"
#include "spec.h"

/* mounts[i] asks for an idmapped mount (mappings given without an option mean "idmap"). */
bool idmap_wanted(const struct spec_mount *m);

/* For every idmapped mount of spec, a detached, mapped clone of its source
 * (relative sources from bundlefd); with a user namespace, a plain clone of every other
 * bind's source where open_tree allows it. *fds gets spec->mounts_len entries, -1
 * for the other mounts, or NULL when there is none. The mapping is the
 * mount's own, else that of the container's user namespace (created or
 * joined, per ns). A source inside `rootfs` is resolved there (pathsafe_open_source).
 * Errors name "mounts[i] (destination)". */
int idmap_prepare(const struct spec *spec, const struct ns_plan *ns, int bundlefd,
                  const char *rootfs, int **fds, struct berr **err);
/* Closes the fds and frees the array (NULL is fine). */
void idmap_release(int *fds, size_t n);

/* An fd of a fresh user namespace with these maps, made by a short-lived child. */
int idmap_userns_open(const struct spec_id_mapping *uid, size_t nuid,
                      const struct spec_id_mapping *gid, size_t ngid, struct berr **err);

#endif
