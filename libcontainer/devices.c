/* /dev in the container: see devices.h. */
#include "libc_compat.h"
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "mounts.h"
#include "pathsafe.h"

struct devnode {
  const char *path;
  mode_t type; /* S_IFCHR, S_IFBLK, S_IFIFO */
  unsigned int major, minor;
  mode_t mode;
  bool has_uid, has_gid;
  uid_t uid;
  gid_t gid;
  bool configured; /* from linux.devices: what the image has there must match */
};

/* config-linux.md, "Default Devices" */
static const struct devnode default_devices[] = {
    {"/dev/null", S_IFCHR, 1, 3, 0666, false, false, 0, 0},
    {"/dev/zero", S_IFCHR, 1, 5, 0666, false, false, 0, 0},
    {"/dev/full", S_IFCHR, 1, 7, 0666, false, false, 0, 0},
    {"/dev/random", S_IFCHR, 1, 8, 0666, false, false, 0, 0},
    {"/dev/urandom", S_IFCHR, 1, 9, 0666, false, false, 0, 0},
    {"/dev/tty", S_IFCHR, 5, 0, 0666, false, false, 0, 0},
};

static const struct {
  const char *target, *path;
} dev_links[] = {
    {"/proc/self/fd", "/dev/fd"},
    {"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"},
    {"/proc/self/fd/2", "/dev/stderr"},
};

/* Removes what is at parent/name unless it is a `type` node (with `rdev`
 * when type is a device). Returns 1 when a good node is already there. With
 * `strict` (a linux.devices entry) something else there is an error, as
 * config-linux.md requires, instead of being replaced. */
static int clear_spot(int parent, const char *name, mode_t type, dev_t rdev, bool strict,
                      struct berr **err) {
  struct stat st;
  if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : berr_errno(err, "stat");
  if ((st.st_mode & S_IFMT) == type &&
      (type == S_IFREG || type == S_IFIFO || st.st_rdev == rdev))
    return 1;
  if (S_ISDIR(st.st_mode))
    return berr_set(err, EISDIR, "a directory is in the way");
  if (strict)
    return berr_code(err, EEXIST,
                    "the rootfs already has a different file there (mode %06o, device %u:%u)",
                    (unsigned)st.st_mode, major(st.st_rdev), minor(st.st_rdev));
  if (unlinkat(parent, name, 0) < 0)
    return berr_errno(err, "remove what the image has there");
  return 0;
}

/* Binds the host's node at the same path over an empty file (user namespaces). */
static int bind_host_node(int parent, const char *name, const char *host, struct berr **err) {
  int r = clear_spot(parent, name, S_IFREG, 0, false, err);
  if (r < 0)
    return -1;
  if (r == 0) {
    int fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
      return berr_errno(err, "create");
    close(fd);
  }
  cleanup_close int target = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0 || mnt_at(host, target, NULL, MS_BIND, NULL) < 0)
    return berr_errno(err, "bind %s", host);
  return 0;
}

/* mknod first: on a fresh /dev (the usual case) nothing is there to look at; only EEXIST
 * sends it to clear_spot, which keeps a good node or removes what is in the way. */
static int make_node(int parent, const char *name, const struct devnode *d, struct berr **err) {
  dev_t rdev = makedev(d->major, d->minor);
  mode_t mode = d->type | (d->mode & 07777);
  int r = 0;
  if (mknodat(parent, name, mode, rdev) < 0) {
    if (errno != EEXIST)
      return berr_errno(err, "mknod");
    r = clear_spot(parent, name, d->type, rdev, d->configured, err);
    if (r < 0)
      return -1;
    if (r == 0 && mknodat(parent, name, mode, rdev) < 0)
      return berr_errno(err, "mknod");
  }
  /* umask is 0 here; a node that was already there gets the mode too */
  if (r == 1 && fchmodat(parent, name, d->mode & 07777, 0) < 0)
    return berr_errno(err, "chmod");
  if ((d->has_uid || d->has_gid) &&
      fchownat(parent, name, d->has_uid ? d->uid : (uid_t)-1, d->has_gid ? d->gid : (gid_t)-1,
               AT_SYMLINK_NOFOLLOW) < 0)
    return berr_errno(err, "chown");
  return 0;
}

/* The parent directory of the nodes and links, resolved once per directory
 * rather than once per entry: they nearly all live in /dev. Nothing else runs
 * in the container yet, so the directory an fd names cannot be swapped. */
struct parent_cache {
  char *dir; /* the path up to the last '/', as written */
  int fd;
};

static void parent_cache_release(struct parent_cache *pc) {
  free(pc->dir);
  if (pc->fd >= 0)
    close(pc->fd);
}
#define cleanup_parent_cache __attribute__((cleanup(parent_cache_release)))

/* Returns the parent's fd (borrowed from the cache) and the last component in *name. */
static int cached_parent(struct parent_cache *pc, int rootfd, const char *path, char **name,
                         struct berr **err) {
  const char *slash = strrchr(path, '/');
  const char *last = slash ? slash + 1 : path;
  bool plain = slash && *last && strcmp(last, ".") != 0 && strcmp(last, "..") != 0;
  if (plain && pc->dir && strlen(pc->dir) == (size_t)(slash - path) &&
      strncmp(pc->dir, path, slash - path) == 0) {
    *name = strdup(last);
    return *name ? pc->fd : berr_set(err, ENOMEM, "%s", path);
  }
  int fd = pathsafe_open_parent(rootfd, path, true, name, err);
  if (fd < 0)
    return -1;
  parent_cache_release(pc);
  pc->dir = plain ? strndup(path, slash - path) : NULL;
  pc->fd = fd;
  return fd;
}

static int create_device(struct parent_cache *pc, int rootfd, const struct devnode *d,
                         bool in_userns, struct berr **err) {
  cleanup_free char *name = NULL;
  int parent = cached_parent(pc, rootfd, d->path, &name, err);
  if (parent < 0)
    return berr_prefix(err, "device %s", d->path);
  int r = in_userns && d->type != S_IFIFO ? bind_host_node(parent, name, d->path, err)
                                          : make_node(parent, name, d, err);
  if (r < 0)
    return berr_prefix(err, "device %s", d->path);
  log_debug("device %s %u:%u mode %04o", d->path, d->major, d->minor, d->mode);
  return 0;
}

static int devnode_from_spec(const struct spec_device *s, struct devnode *d, struct berr **err) {
  *d = (struct devnode){.path = s->path,
                        .major = (unsigned int)s->major,
                        .minor = (unsigned int)s->minor,
                        .mode = s->has_file_mode ? s->file_mode : 0666,
                        .has_uid = s->has_uid,
                        .has_gid = s->has_gid,
                        .uid = s->uid,
                        .gid = s->gid,
                        .configured = true};
  switch (s->type) {
  case 'c':
  case 'u':
    d->type = S_IFCHR;
    return 0;
  case 'b':
    d->type = S_IFBLK;
    return 0;
  case 'p':
    d->type = S_IFIFO;
    return 0;
  }
  return berr_set(err, EINVAL, "device %s: unknown type '%c'", s->path, s->type);
}

static bool in_config_devices(const struct spec *spec, const char *path) {
  const struct spec_linux *l = spec->linux;
  for (size_t i = 0; l && i < l->devices_len; i++)
    if (l->devices[i].path && strcmp(l->devices[i].path, path) == 0)
      return true;
  return false;
}

static int create_devices(struct parent_cache *pc, const struct spec *spec, int rootfd,
                          bool in_userns, struct berr **err) {
  for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++)
    if (!in_config_devices(spec, default_devices[i].path) &&
        create_device(pc, rootfd, &default_devices[i], in_userns, err) < 0)
      return -1;
  const struct spec_linux *l = spec->linux;
  for (size_t i = 0; l && i < l->devices_len; i++) {
    struct devnode d;
    if (devnode_from_spec(&l->devices[i], &d, err) < 0 ||
        create_device(pc, rootfd, &d, in_userns, err) < 0)
      return berr_prefix(err, "linux.devices[%zu]", i);
  }
  return 0;
}

static int make_link(struct parent_cache *pc, int rootfd, const char *target, const char *path,
                     bool replace, struct berr **err) {
  cleanup_free char *name = NULL;
  int parent = cached_parent(pc, rootfd, path, &name, err);
  if (parent < 0)
    return berr_prefix(err, "link %s", path);
  if (symlinkat(target, parent, name) == 0 || (errno == EEXIST && !replace))
    return 0;
  if (errno != EEXIST)
    return berr_errno(err, "link %s -> %s", path, target);
  /* replace: what the image has there goes (tried after the link: a fresh /dev has nothing) */
  if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
    return berr_errno(err, "link %s: remove the old one", path);
  if (symlinkat(target, parent, name) < 0)
    return berr_errno(err, "link %s -> %s", path, target);
  return 0;
}

static int create_links(struct parent_cache *pc, int rootfd, struct berr **err) {
  for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
    if (make_link(pc, rootfd, dev_links[i].target, dev_links[i].path, false, err) < 0)
      return -1;
  if (access("/proc/kcore", F_OK) == 0 &&
      make_link(pc, rootfd, "/proc/kcore", "/dev/core", false, err) < 0)
    return -1;
  return make_link(pc, rootfd, "pts/ptmx", "/dev/ptmx", true, err);
}

static int setup_console(int rootfd, const char *console, struct berr **err) {
  cleanup_free char *name = NULL;
  cleanup_close int parent = pathsafe_open_parent(rootfd, "/dev/console", true, &name, err);
  if (parent < 0 || bind_host_node(parent, name, console, err) < 0)
    return berr_prefix(err, "/dev/console");
  log_debug("/dev/console: bound %s", console);
  return 0;
}

static bool dev_is_bound(const struct spec *spec) {
  for (size_t i = 0; i < spec->mounts_len; i++) {
    const struct spec_mount *m = &spec->mounts[i];
    const char *d = m->destination;
    if (mnt_is_bind(m) && d && strncmp(d, "/dev", 4) == 0 && d[4 + strspn(d + 4, "/")] == '\0')
      return true;
  }
  return false;
}

int devices_setup(const struct spec *spec, int rootfd, const struct rootfs_opts *opts,
                  struct berr **err) {
  if (!dev_is_bound(spec)) {
    cleanup_parent_cache struct parent_cache pc = {.dir = NULL, .fd = -1};
    mode_t old = umask(0);
    int r = create_devices(&pc, spec, rootfd, opts->in_userns, err);
    umask(old);
    if (r < 0 || create_links(&pc, rootfd, err) < 0)
      return -1;
  }
  if (opts->console_path && setup_console(rootfd, opts->console_path, err) < 0)
    return -1;
  return 0;
}

/* A null device of our own in a detached tmpfs; where mknod is denied (a user
 * namespace) an empty file on a read-only tmpfs: reads as empty all the same. */
static int private_null(struct berr **err) {
  cleanup_close int mnt = mnt_tmpfs_detached(MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
  if (mnt < 0)
    return berr_errno(err, "/dev/null: a private tmpfs");
  if (mknodat(mnt, "null", S_IFCHR | 0666, makedev(1, 3)) == 0) {
    if (fchmodat(mnt, "null", 0666, 0) < 0)
      return berr_errno(err, "/dev/null: chmod the private node");
  } else {
    if (errno != EPERM)
      return berr_errno(err, "/dev/null: mknod a private null device");
    int f = openat(mnt, "null", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
    if (f < 0)
      return berr_errno(err, "/dev/null: create an empty file");
    close(f);
    struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
    if (mount_setattr(mnt, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
      return berr_errno(err, "/dev/null: make the private tmpfs read-only");
  }
  /* a detached bind of the node itself: it lives as long as this fd, which the
   * masking clones from (cloning a detached mount needs Linux 6.15) */
  int fd = open_tree(mnt, "null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  return fd < 0 ? berr_errno(err, "/dev/null: a detached bind of the private node") : fd;
}

int devices_null_source(int rootfd, struct berr **err) {
  cleanup_close int fd = pathsafe_openat(rootfd, "/dev/null", O_PATH | O_NOFOLLOW);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
    return steal_fd(&fd);
  log_debug("/dev/null in the container is not the null device 1:3: using a private one");
  return private_null(err);
}
