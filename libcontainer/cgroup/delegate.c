/* Cgroup ownership (config-linux.md, "Cgroup ownership"): on cgroup v2, a container with a
 * user namespace and its own cgroup namespace and /sys/fs/cgroup mounted read-write gets its
 * cgroup delegated: the directory and the files /sys/kernel/cgroup/delegate lists
 * (cgroup.procs, cgroup.subtree_control, cgroup.threads when that file is missing) are chowned
 * to the host uid that process.user.uid maps to (the group is left alone, as runc does). The
 * map is linux.uidMappings for a new user namespace (before the init exists), the joined
 * namespace's own uid_map for one joined by path (once the init is in it). Nothing else is
 * chowned, and never on cgroup v1, where delegation is not safe, nor with the systemd driver
 * (not done yet there: the unit's directory exists only once it is started). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "namespaces.h"

static bool cgroup_mount_rw(const struct spec *spec) {
  for (size_t i = 0; i < spec->mounts_len; i++) {
    const struct spec_mount *m = &spec->mounts[i];
    if (m->source == NULL || strcmp(m->source, "cgroup") != 0 ||
        strcmp(m->destination, "/sys/fs/cgroup") != 0)
      continue;
    bool ro = false;
    for (size_t j = 0; j < m->options.len; j++)
      ro |= strcmp(m->options.items[j], "ro") == 0;
    return !ro;
  }
  return false;
}

/* The host uid to give the cgroup to (1), 0 when the rules say not to delegate (or not yet:
 * see cgroup_delegate), -1 on error. */
static int delegate_to(const struct cgroup *cg, const struct spec *spec, pid_t init, uid_t *uid,
                       struct berr **err) {
  const struct spec_linux *lx = spec->linux;
  const struct spec_namespace *userns = spec_find_namespace(spec, NS_USER);
  uint32_t host;
  /* the systemd driver: the directory is systemd's, made only when the unit starts */
  if (cg->sd != NULL || !cg->unified || cg->n != 1 || cg->h[0].dir == NULL || lx == NULL ||
      spec->process == NULL || userns == NULL || !spec_has_new_namespace(spec, NS_CGROUP) ||
      !cgroup_mount_rw(spec))
    return 0;
  bool joined = userns->path != NULL;
  if (joined != (init > 0))
    return 0; /* the other call's job */
  if (!joined) {
    if (!ns_map_to_host(lx->uid_mappings, lx->uid_mappings_len, spec->process->user.uid, &host))
      return 0;
  } else {
    /* the joined namespace's own map, read from the host's namespace: host uids */
    int r = ns_pid_map_to_host(init, "uid_map", spec->process->user.uid, &host, err);
    if (r <= 0)
      return r < 0 ? berr_prefix(err, "cgroup ownership: the joined user namespace") : 0;
  }
  *uid = host;
  return 1;
}

static int chown_file(int dirfd, const char *dir, const char *name, uid_t uid,
                      struct berr **err) {
  /* not every listed file exists in every cgroup (memory.oom.group without memory) */
  if (fchownat(dirfd, name, uid, (gid_t)-1, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
    return berr_errno(err, "cgroup ownership: chown %s/%s", dir, name);
  return 0;
}

int cgroup_delegate(const struct cgroup *cg, const struct spec *spec, pid_t init,
                    struct berr **err) {
  uid_t uid = 0;
  int r = cg == NULL ? 0 : delegate_to(cg, spec, init, &uid, err);
  if (r <= 0)
    return r;
  const char *dir = cg->h[0].dir;
  cleanup_close int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0 || fchown(dirfd, uid, (gid_t)-1) < 0)
    return berr_errno(err, "cgroup ownership: chown %s", dir);
  cleanup_free char *list = cg_read("/sys/kernel/cgroup", "delegate");
  if (list == NULL) {
    static const char *const fallback[] = {"cgroup.procs", "cgroup.subtree_control",
                                           "cgroup.threads"};
    for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++)
      if (chown_file(dirfd, dir, fallback[i], uid, err) < 0)
        return -1;
    return 0;
  }
  char *save = NULL;
  for (char *name = strtok_r(list, "\n", &save); name; name = strtok_r(NULL, "\n", &save))
    if (name[0] != '\0' && strchr(name, '/') == NULL && chown_file(dirfd, dir, name, uid, err) < 0)
      return -1;
  return 0;
}
