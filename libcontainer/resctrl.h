/* linux.intelRdt: Intel RDT / AMD PQoS through the resctrl filesystem (config-linux.md
 * "IntelRdt", runtime-spec 1.3.0).
 *
 * The container's CTRL_MON group is a directory at the top of the resctrl mount: closID, or the
 * container id when closID is unset ("/" is the root group itself).
 *   - closID set and no schema (l3CacheSchema, memBwSchema, schemata): the group must exist
 *     (pre-configured); the container joins it.
 *   - otherwise a missing group is made (and removed at delete); an existing one is joined, and
 *     l3CacheSchema / memBwSchema must match its schemata file (every cache id they name has that
 *     value), or create fails.
 *   - then l3CacheSchema, memBwSchema and each schemata line are written to <group>/schemata, in
 *     that order, one write each (the kernel applies a write whole or not at all).
 *   - enableMonitoring: a MON group <group>/mon_groups/<container id> is made (an existing one is
 *     an error: it must be the container's own), and removed at delete.
 * The container's processes (the init before it runs anything, each exec'd process) are written
 * to <group>/tasks and then to the MON group's tasks.
 *
 * Every function takes the resctrl mount as a directory fd (resctrl_open finds and checks it), so
 * the unit tests run them against a directory laid out like resctrl. */
#ifndef BERTH_RESCTRL_H
#define BERTH_RESCTRL_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "json.h"
#include "spec.h"

#define RESCTRL_ROOT_GROUP "/"

/* What the container has in resctrl; also what state.json records. */
struct resctrl_group {
  char *name;   /* closID, the container id, or "/" (the root group) */
  bool created; /* berth made the group: delete removes it */
  bool mon;     /* berth made mon_groups/<container id>: delete removes it */
  char *old_schemata; /* an existing group's schemata before create wrote it (restored when
                         create fails); NULL when nothing was written to an existing group */
};

void resctrl_group_clear(struct resctrl_group *g);

/* The resctrl mount (fstype resctrl in /proc/self/mountinfo), opened and checked to be one
 * (statfs magic RDTGROUP_SUPER_MAGIC). ENOENT "linux.intelRdt: no resctrl filesystem is
 * mounted ..." when there is none. */
int resctrl_open(int *rootfd, struct berr **err);

/* Called before each directory is made, with g saying what will exist, so the caller can
 * record it where a killed create's leftovers are found (state.json). */
typedef int (*resctrl_note_fn)(void *arg, const struct resctrl_group *g, struct berr **err);

/* create, first half: picks the group, checks an existing one (it must exist for a closID
 * without schemas; its schemata must match l3CacheSchema / memBwSchema), makes a missing one. */
int resctrl_make(int rootfd, const struct spec_intel_rdt *rdt, const char *id,
                 struct resctrl_group *g, resctrl_note_fn note, void *arg, struct berr **err);
/* create, second half: writes the schemata lines and makes the MON group. */
int resctrl_configure(int rootfd, const struct spec_intel_rdt *rdt, const char *id,
                      struct resctrl_group *g, resctrl_note_fn note, void *arg,
                      struct berr **err);
/* resctrl_make and resctrl_configure. */
int resctrl_setup(int rootfd, const struct spec_intel_rdt *rdt, const char *id,
                  struct resctrl_group *g, resctrl_note_fn note, void *arg, struct berr **err);
/* After a failed create: restores an existing group's schemata and removes what was made
 * (warnings only). */
void resctrl_undo(int rootfd, struct resctrl_group *g, const char *id);

/* Puts pid in the group, then in its MON group. */
int resctrl_enter(int rootfd, const struct resctrl_group *g, const char *id, pid_t pid,
                  struct berr **err);

/* delete: removes the MON group and the group when berth made them; one already gone is fine.
 * only_unused (a create killed before its init existed): a group whose tasks file lists any
 * task is left alone. */
int resctrl_remove(int rootfd, const struct resctrl_group *g, const char *id, bool only_unused,
                   struct berr **err);

/* update --l3-cache-schema / --mem-bw-schema: writes the lines (NULL: not given) to the group's
 * schemata. Errors name the flag. */
int resctrl_update(int rootfd, const char *group, const char *l3_cache_schema,
                   const char *mem_bw_schema, struct berr **err);

/* events --stats: writes the value of "intel_rdt" as runc names it (l3_cache_info,
 * l3_cache_schema_root, l3_cache_schema, mem_bw_info, mem_bw_schema_root, mem_bw_schema,
 * mbm_stats, cmt_stats), what the host has of it. */
void resctrl_stats(int rootfd, const struct resctrl_group *g, const char *id, json_writer *w);

/* Pure, exported for tests: true when every "id=value" of `want` ("L3:0=ff;1=f0") has that
 * value (compared as numbers when both parse) on the line of the same resource in `schemata`
 * (a schemata file's text, names padded with spaces as the kernel prints them). */
bool resctrl_schema_matches(const char *schemata, const char *want);
/* A group name as found in state.json: "/" or one directory name. */
bool resctrl_group_name_ok(const char *name);

#endif
