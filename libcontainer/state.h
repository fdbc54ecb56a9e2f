/* The container's state on disk: <root>/<id>/state.json (atomically
 * replaced), <root>/<id>/exec.fifo while created. The directory itself is
 * the per-container lock (flock), so commands on one container serialize and
 * commands on different containers never wait on each other. */
#ifndef BERTH_STATE_H
#define BERTH_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "json.h"
#include "spec.h"

#define BERTH_DEFAULT_ROOT "/run/berth"
#define STATE_FILE "state.json"
#define EXEC_FIFO "exec.fifo"
/* the config.json the container was created from: later edits of the bundle's do not affect
 * it (runtime.md, lifecycle step 2); start, delete (hooks) and exec read this copy */
#define STATE_CONFIG "config.json"

enum container_status {
  STATUS_CREATING = 0,
  STATUS_CREATED,
  STATUS_RUNNING,
  STATUS_STOPPED,
  STATUS_PAUSED,
  STATUS_UNKNOWN, /* list: a state directory whose state.json cannot be read */
};
const char *container_status_name(enum container_status s);

struct container_state {
  char *oci_version;
  char *id;
  pid_t pid; /* 0: create has not cloned the init yet (or was killed before) */
  unsigned long long start_time; /* of pid, from /proc/PID/stat */
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339 */
  char *owner;
  char *cgroup_path; /* NULL until cgroups manage it */
  char *systemd_unit; /* --systemd-cgroup: the unit ("berth-c1.scope") whose cgroup is cgroup_path */
  /* Whether the bundle's config has poststart / poststop hooks, recorded at create so start
   * and delete read and parse config.json only when they have hooks to run. True when unknown
   * (a state.json written before these fields existed). */
  bool has_poststart, has_poststop;
  /* linux.intelRdt: the resctrl group the container is in (closID, its id, or "/"; NULL without
   * intelRdt), and whether berth made the group and the MON group mon_groups/<id> (so delete
   * removes them); see resctrl.h */
  char *resctrl_group;
  bool resctrl_created, resctrl_mon;
  /* No mount namespace of the container's own (rootmount.h): the mount id of the rootfs bound
   * onto itself (0: none to undo), and the joined namespace it is in (its path and inode; NULL
   * for the runtime's own) */
  uint64_t root_mount_id;
  char *root_mount_ns;
  uint64_t root_mount_ns_ino;
  /* create has not finished (true in the state.json written before the init is ready) */
  bool creating;
  struct spec_key_value *annotations;
  size_t annotations_len;
};

void container_state_free(struct container_state *st);
/* The record of a container being made from spec (create, restore): status creating, the
 * spec's annotations borrowed (the caller unsets them before freeing). Fills *out; -1 ENOMEM. */
int state_new(const struct spec *spec, const char *id, const char *bundle, const char *rootfs,
              struct container_state **out, struct berr **err);
void container_state_cleanup(struct container_state **st);
#define cleanup_state __attribute__((cleanup(container_state_cleanup)))

/* [A-Za-z0-9][A-Za-z0-9_.+-]*, at most CONTAINER_ID_MAX bytes (issue #2). */
#define CONTAINER_ID_MAX 1024
int container_id_validate(const char *id, struct berr **err);
/* The name of the id's state directory under --root, and of its default cgroup /berth/<name>:
 * the id itself when it fits a file name (NAME_MAX, 255 bytes); a longer id gets
 * "_<its first 200 bytes>-<16 hex digits of a 64-bit FNV-1a hash of all of it>", which no id
 * can be (an id never starts with "_"). state.json holds the full id, checked on every read. */
#define CONTAINER_DIR_NAME_MAX 256
void container_dir_name(const char *id, char out[CONTAINER_DIR_NAME_MAX]);
/* The 64-bit hash (FNV-1a) that container_dir_name puts in a long id's name. */
uint64_t container_id_hash(const char *id);

/* Opens (creating with 0700 if needed) the state root directory. */
int state_root_open(const char *root, int *rootfd, struct berr **err);
/* Creates <root>/<id> exclusively and locks it; fails with EEXIST "container X already exists". */
/* Removes the `.creating-<pid>` directories of creates that died between making and renaming
 * them (their pid is gone and nobody holds their lock). */
void state_root_sweep(int rootfd);
int state_dir_create(int rootfd, const char *id, int *dirfd, struct berr **err);
/* Opens and locks an existing <root>/<id>; ENOENT "container X does not exist". */
int state_dir_open(int rootfd, const char *id, int *dirfd, struct berr **err);
/* The same without the lock, for readers. */
int state_dir_open_unlocked(int rootfd, const char *id, int *dirfd, struct berr **err);
/* The container id whose state directory under rootfd is `name` (list's look-up): the name
 * itself, or for a long id's "_..." directory the id in its state.json that maps back to it.
 * -1 when there is none. */
int state_dir_id(int rootfd, const char *name, char **id);
int state_dir_remove(int rootfd, const char *id, struct berr **err);

int state_write(int dirfd, const struct container_state *st, struct berr **err);
int state_read(int dirfd, const char *id, struct container_state **out, struct berr **err);
/* The same through the state root's fd ("<id>/state.json"), for readers of many containers
 * (list): the container's directory is not opened. */
int state_read_in_root(int rootfd, const char *id, struct container_state **out,
                       struct berr **err);
/* The text of a state.json, checked as state_read() does (id must match, pid and startTime
 * sane); exposed for tests and the fuzzer. */
int state_parse(const char *text, size_t len, const char *id, struct container_state **out,
                struct berr **err);

/* True when st->pid is still the container's init: the start time matches and the process is
 * not in berth's own mount namespace (the init always has a new one). Everything that
 * signals or joins the pid checks this, so a hostile state.json naming a host process (with
 * or without its real start time) never gets it signalled. */
bool state_pid_is_container(const struct container_state *st);

/* Derived from the pid, its start time and the exec fifo (paused from the cgroup freezer). */
enum container_status state_status(int dirfd, const struct container_state *st);
/* The same through the state root's fd (st->id names the directory). */
enum container_status state_status_in_root(int rootfd, const struct container_state *st);
/* For a reader that does not hold the lock: true while a create of this container still holds
 * it (a create that died leaves "creating" in state.json but no lock). */
bool state_create_in_progress(int dirfd, const struct container_state *st);

/* Writes "annotations": {...} (the config's annotations) into the object w is in. */
void state_json_annotations(json_writer *w, const struct container_state *st);

/* The OCI state JSON (state-schema.json), e.g. for `state` and hooks' stdin. */
char *state_to_json(const struct container_state *st, enum container_status status, bool pretty);

#endif
