/* Idmapped mounts, made by the runtime: see idmap.h. */
#include "libc_compat.h"
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "pathsafe.h"
#include "log.h"
#include "mounts.h"

bool idmap_wanted(const struct spec_mount *m) {
  return m->idmap || m->ridmap || m->uid_mappings_len > 0 || m->gid_mappings_len > 0;
}

int idmap_userns_open(const struct spec_id_mapping *uid, size_t nuid,
                      const struct spec_id_mapping *gid, size_t ngid, struct berr **err) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return berr_errno(err, "pipe");
  /* the child only holds the namespace open until we have an fd of it */
  pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid == 0) {
    char c;
    close(p[1]);
    while (read(p[0], &c, 1) < 0 && errno == EINTR)
      ;
    _exit(0);
  }
  close(p[0]);
  if (pid < 0) {
    close(p[1]);
    return berr_errno(err, "create a user namespace for the mapping");
  }
  int fd = -1;
  if (ns_write_map(pid, "uid_map", uid, nuid, err) == 0 &&
      ns_write_map(pid, "gid_map", gid, ngid, err) == 0) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
      berr_errno(err, "open %s", path);
  }
  close(p[1]);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return fd;
}

/* The user namespace whose mapping the mount takes. */
static int mapping_userns(const struct spec_mount *m, const struct spec *spec,
                          const struct ns_plan *ns, struct berr **err) {
  if (m->uid_mappings_len > 0 || m->gid_mappings_len > 0) {
    int fd = idmap_userns_open(m->uid_mappings, m->uid_mappings_len, m->gid_mappings,
                               m->gid_mappings_len, err);
    return fd < 0 ? berr_prefix(err, "uidMappings/gidMappings") : fd;
  }
  const struct spec_linux *lx = spec->linux;
  if (ns->create[NS_USER] && lx) {
    int fd = idmap_userns_open(lx->uid_mappings, lx->uid_mappings_len, lx->gid_mappings,
                               lx->gid_mappings_len, err);
    return fd < 0 ? berr_prefix(err, "linux.uidMappings/gidMappings") : fd;
  }
  if (ns->join_fd[NS_USER] >= 0) {
    int fd = fcntl(ns->join_fd[NS_USER], F_DUPFD_CLOEXEC, 0);
    return fd < 0 ? berr_errno(err, "dup the user namespace fd") : fd;
  }
  return berr_code(err, EINVAL,
                   "%s without uidMappings/gidMappings takes the mapping of the container's user "
                   "namespace, and linux.namespaces has none: give the mount its own mappings",
                   m->ridmap ? "ridmap" : "idmap");
}

/* A detached clone of m's source, a slave of it, carrying the mapping. */
static int prepare_one(const struct spec_mount *m, const struct spec *spec,
                       const struct ns_plan *ns, int bundlefd, const char *rootfs,
                       struct berr **err) {
  if (!mnt_is_bind(m))
    return berr_code(err, EINVAL,
                     "uidMappings/gidMappings, idmap and ridmap need a bind mount (type \"bind\" "
                     "or a bind/rbind option)");
  if (m->source == NULL)
    return berr_code(err, EINVAL, "bind mount without a source");
  cleanup_close int userns = mapping_userns(m, spec, ns, err);
  if (userns < 0)
    return -1;
  unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
  if (m->flags & MS_REC)
    flags |= AT_RECURSIVE;
  /* a source inside the rootfs is resolved there, as mounts.c does */
  cleanup_close int src = pathsafe_open_source(bundlefd, rootfs, m->source, O_PATH);
  cleanup_close int tree = src < 0 ? -1 : open_tree(src, "", flags | AT_EMPTY_PATH);
  if (tree < 0)
    return berr_errno(err, "source %s", m->source);
  /* a clone of a shared mount joins its peer group: no propagation back to the host */
  struct mount_attr prop = {.propagation = MS_SLAVE};
  if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &prop, sizeof(prop)) < 0)
    return berr_errno(err, "make the clone of %s a slave", m->source);
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
  if (mount_setattr(tree, "", AT_EMPTY_PATH | (m->ridmap ? AT_RECURSIVE : 0), &attr,
                    sizeof(attr)) < 0)
    return berr_errno(err, "idmap %s (does its filesystem support idmapped mounts?)", m->source);
  log_debug("idmapped clone of %s ready (%s)", m->source, m->ridmap ? "recursive" : "top only");
  return steal_fd(&tree);
}

/* A plain detached clone of a bind's source, a slave of it, or -1 (the init then binds the
 * path itself): opened here, in the host's user namespace, it is reachable whatever the
 * container's root may traverse (a source under a root-owned 0700 directory), as runc's
 * mount fds are. Without CAP_SYS_ADMIN over our mount namespace (rootless) open_tree fails:
 * the init binds the path, as before. */
static int prepare_plain(const struct spec_mount *m, int bundlefd, const char *rootfs) {
  unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH;
  if (m->flags & MS_REC)
    flags |= AT_RECURSIVE;
  cleanup_close int src = pathsafe_open_source(bundlefd, rootfs, m->source, O_PATH);
  cleanup_close int tree = src < 0 ? -1 : open_tree(src, "", flags);
  struct mount_attr prop = {.propagation = MS_SLAVE};
  if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &prop, sizeof(prop)) < 0) {
    log_debug("bind %s: no clone in the runtime (%s): the init binds the path", m->source,
              strerror(errno));
    return -1;
  }
  return steal_fd(&tree);
}

/* A bind the runtime clones without a mapping (userns_root: the container has a user namespace,
 * whose root may not reach the source, and the runtime is root). */
static bool plain_wanted(const struct spec_mount *m, bool userns_root) {
  return userns_root && mnt_is_bind(m) && m->source != NULL && !idmap_wanted(m);
}

int idmap_prepare(const struct spec *spec, const struct ns_plan *ns, int bundlefd,
                  const char *rootfs, int **fds, struct berr **err) {
  *fds = NULL;
  size_t n = spec->mounts_len, wanted = 0;
  /* geteuid only with a user namespace: no syscall on the common path */
  bool root = (ns->create[NS_USER] || ns->join_fd[NS_USER] >= 0) && geteuid() == 0;
  for (size_t i = 0; i < n; i++)
    wanted += idmap_wanted(&spec->mounts[i]) || plain_wanted(&spec->mounts[i], root);
  if (wanted == 0)
    return 0;
  int *v = malloc(n * sizeof(*v));
  if (v == NULL)
    return berr_set(err, ENOMEM, "idmapped mounts");
  for (size_t i = 0; i < n; i++)
    v[i] = -1;
  for (size_t i = 0; i < n; i++) {
    const struct spec_mount *m = &spec->mounts[i];
    if (plain_wanted(m, root))
      v[i] = prepare_plain(m, bundlefd, rootfs);
    else if (idmap_wanted(m) && (v[i] = prepare_one(m, spec, ns, bundlefd, rootfs, err)) < 0) {
      idmap_release(v, n);
      return berr_prefix(err, "mounts[%zu] (%s)", i, m->destination);
    }
  }
  *fds = v;
  return 0;
}

void idmap_release(int *fds, size_t n) {
  for (size_t i = 0; fds && i < n; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  free(fds);
}
