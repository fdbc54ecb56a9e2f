/* Namespaces: which to create, which to join (opened and type-checked in the
 * runtime before cloning), and the user namespace's id maps. */
#ifndef BERTH_NAMESPACES_H
#define BERTH_NAMESPACES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct ns_plan {
  int join_fd[NS_COUNT]; /* -1: not joined */
  bool create[NS_COUNT];
};

/* Whether the container has a namespace of type t that is not the runtime's own: a new one, or
 * one joined by path that is not the one berth runs in (same st_dev/st_ino as
 * /proc/self/ns/<t>). Not listed: false (inherited from the runtime). */
bool ns_is_containers_own(const struct spec *spec, enum spec_ns_type t);
/* Parent: opens every `path` and checks it is a namespace of that type. */
int ns_plan_prepare(const struct spec *spec, struct ns_plan *plan, struct berr **err);
void ns_plan_close(struct ns_plan *plan);
/* CLONE_NEW* flags of the namespaces stage1 creates: all but user (made
 * first, on its own) and cgroup (made by the init once it is in its cgroup). */
int ns_plan_unshare_flags(const struct ns_plan *plan);

/* Child: setns() into the joined namespace of type t, if any. */
int ns_join(const struct ns_plan *plan, enum spec_ns_type t, struct berr **err);
/* Parent: writes /proc/<pid>/<file> ("uid_map", "gid_map") from n mappings (none: nothing). */
int ns_write_map(pid_t pid, const char *file, const struct spec_id_mapping *m, size_t n,
                 struct berr **err);
/* Parent: writes uid_map and gid_map of pid from linux.uidMappings/gidMappings.
 * Not root: a single mapping of the caller's own id is written directly
 * (setgroups "deny" before gid_map); anything else goes through newuidmap /
 * newgidmap, with an error naming /etc/subuid or /etc/subgid when refused. */
int ns_write_id_maps(pid_t pid, const struct spec_linux *lx, struct berr **err);
/* The host id that container id `id` maps to; false when unmapped. */
bool ns_map_to_host(const struct spec_id_mapping *m, size_t n, uint32_t id, uint32_t *host);
/* The same over the text of a /proc/<pid>/uid_map or gid_map ("inside outside count" lines). */
bool ns_map_text_to_host(const char *text, uint32_t id, uint32_t *host);
/* Reads /proc/<pid>/<file> ("uid_map", "gid_map") from the caller's user namespace, so the
 * outside ids are the caller's (the host's for berth as root): 1 with *host set, 0 when id is
 * unmapped, -1 when the file cannot be read. */
int ns_pid_map_to_host(pid_t pid, const char *file, uint32_t id, uint32_t *host,
                       struct berr **err);
/* Child, after unshare(CLONE_NEWTIME) and before any process enters it. */
int ns_write_time_offsets(const struct spec_linux *lx, struct berr **err);

#endif
