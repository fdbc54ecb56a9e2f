/* Control groups for a container (linux.cgroupsPath, linux.resources).
 *
 * Where the cgroup lives (the one path, the same in every hierarchy):
 *   - linux.cgroupsPath absolute ("/a/b"): relative to the root of each hierarchy;
 *   - relative ("a/b"): below berth's own cgroup, read from /proc/self/cgroup (the "0::" line on
 *     a pure cgroup v2 host; on v1 the name=systemd line, else the first controller's line);
 *   - empty or absent: "/berth/<id>".
 *   ".." components are rejected; "//" and a trailing "/" are collapsed.
 *
 * Which hierarchies: on a pure cgroup v2 host (/sys/fs/cgroup is cgroup2) the unified hierarchy
 * only; otherwise (legacy or hybrid) v1 is the source of truth: the directory is made in every
 * mounted v1 hierarchy (name=systemd included) and, on a hybrid host, in the cgroup2 hierarchy
 * too (so cgroup.kill works and its controllers can be used when the host enabled them).
 *
 * With --systemd-cgroup (systemd = true), systemd owns the cgroup: linux.cgroupsPath is
 * "slice:prefix:name" (absent: "system.slice:berth:<id>", '+' escaped "\x2b", a name past 255
 * bytes hashed), the container runs in the transient
 * scope unit "<prefix>-<name>.scope" in that slice ("<name>.scope" without a prefix; a name
 * ending in ".slice" is a slice unit of its own), started over D-Bus with the init's pid once it
 * is cloned (cgroup_enter), and its cgroup ("/system.slice/berth-c1.scope") is then treated as
 * the cgroupfs driver treats its own: every resource is written there too. On cgroup v1 (legacy
 * or hybrid) systemd makes the unit's directory in name=systemd and the hierarchies it manages;
 * berth makes it in the others (cpuset, freezer, ...) and puts the init there too.
 *
 * Errors name the config field: "linux.resources.memory.limit: write memory.limit_in_bytes:
 * Device or resource busy". On failure nothing is left behind. */
#ifndef BERTH_CGROUP_H
#define BERTH_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "json.h"
#include "spec.h"

struct cgroup; /* opaque */

/* linux.resources.rdma is applied (cgroup/rdma.c): what `features` reports. */
bool cgroup_rdma_supported(void);

/* A pure cgroup v2 host: /sys/fs/cgroup itself is cgroup2 (`spec` adds a cgroup namespace
 * to its template only then, as runc does). */
bool cgroup_host_unified(void);

/* Before the container process exists: computes the path, creates the directories and applies
 * linux.resources but the device rules (cgroup_devices_apply). systemd=true (--systemd-cgroup): computes the unit and checks systemd runs;
 * the unit is started and the resources applied by cgroup_enter. */
/* Called with the container's cgroup path before any directory is made (cgroupfs driver), so
 * the caller can record it where a killed create's leftovers are found (state.json). */
typedef int (*cgroup_path_fn)(void *arg, const char *path, struct berr **err);
int cgroup_create(const struct spec *spec, const char *id, bool systemd, cgroup_path_fn on_path,
                  void *arg, struct cgroup **out, struct berr **err);
/* Cgroup ownership (config-linux.md): on cgroup v2, with a user namespace, a new cgroup
 * namespace and /sys/fs/cgroup mounted rw, chowns the directory and its delegatable files to
 * the host uid of process.user.uid. Called twice: init 0 right after cgroup_create (a new user
 * namespace: the uid from linux.uidMappings), then with the init's pid once it is in its
 * namespaces (a user namespace joined by path: the uid from /proc/<init>/uid_map); each call
 * does only its case. Nothing to do otherwise, nor with the systemd driver. */
int cgroup_delegate(const struct cgroup *cg, const struct spec *spec, pid_t init,
                    struct berr **err);
/* The device rules (linux.resources.devices, then the defaults; not linux.devices) in two
 * steps, so that the costly one overlaps the init's rootfs setup: prepare builds them and, on
 * cgroup v2, loads the eBPF program (the verifier's walk); apply puts them in force (attaches
 * the program; on v1 writes devices.deny and devices.allow). create applies them once the init
 * has built the rootfs and before any hook or the container's process runs, the order runc
 * uses: the runtime's own setup (mknod, a block device mounted from the config) is not subject
 * to them. apply without prepare does both. No-ops with the systemd driver (cgroup_enter
 * applied them) and for cg NULL; rootless on v2 without the right to load a program: a debug
 * note and no program, as runc and crun do. */
int cgroup_devices_prepare(struct cgroup *cg, const struct spec *spec, struct berr **err);
int cgroup_devices_apply(struct cgroup *cg, const struct spec *spec, struct berr **err);
/* Moves pid into the cgroup (cgroup.procs of every hierarchy); with systemd, starts the unit
 * holding pid, waits for its job and applies linux.resources (devices included). */
int cgroup_enter(struct cgroup *cg, pid_t pid, struct berr **err);
/* On a pure cgroup v2 host: an O_PATH fd of the container's cgroup directory, for clone3's
 * CLONE_INTO_CGROUP (the child starts in it; no cgroup.procs write). -1 otherwise. */
int cgroup_open_unified(const struct cgroup *cg);
/* The path to store in state.json, relative to the hierarchy roots ("/berth/c1"). */
const char *cgroup_path(const struct cgroup *cg);
/* The systemd unit to store in state.json ("berth-c1.scope"), NULL with the cgroupfs driver. */
const char *cgroup_unit(const struct cgroup *cg);
/* After a failed create: removes the directories made by cgroup_create, killing the processes
 * in those it made (parents it made go too, when empty). A directory it found existing, even
 * below a parent it made (another --root's create of the same id racing ours), is left alone.
 * Does not free cg. */
void cgroup_destroy(struct cgroup *cg);
void cgroup_free(struct cgroup *cg);
void cgroup_cleanup(struct cgroup **cg); /* cgroup_free for __attribute__((cleanup)) */
#define cleanup_cgroup __attribute__((cleanup(cgroup_cleanup)))

/* From the path stored in state.json (delete, kill): */
/* Moves pid into the container's cgroup in every hierarchy (exec). */
int cgroup_enter_path(const char *path, pid_t pid, struct berr **err);
/* exec --cgroup: the same, but into existing sub-cgroups of it, subs being runc's
 * "[CONTROLLER[,CONTROLLER]:]PATH" values (NULL-terminated); see cgroup/sub.c. */
int cgroup_enter_sub_path(const char *path, char *const *subs, pid_t pid, struct berr **err);
/* cgroup_open_unified for a stored path (exec): -1 unless this is a pure cgroup v2 host and the
 * directory exists. */
int cgroup_open_unified_path(const char *path);
/* SIGKILLs what is left (cgroup.kill where the kernel has it), waits until empty (bounded), removes
 * the directory (and any sub-cgroups) in every hierarchy. A missing directory is fine. */
int cgroup_destroy_path(const char *path, struct berr **err);
/* The same for a container whose init never existed (pid 0 in state.json): removes only
 * directories nothing lives in, kills nothing. */
int cgroup_remove_unused_path(const char *path, struct berr **err);
/* delete of a --systemd-cgroup container (after cgroup_destroy_path): stops the unit and
 * resets its failed state; a unit systemd already unloaded is fine. */
int cgroup_systemd_stop(const char *unit, struct berr **err);
/* update: the resources systemd knows as unit properties (SetUnitProperties, runtime), so a
 * daemon-reload keeps them; cgroup_update_path then writes every resource as usual. */
int cgroup_systemd_update(const char *unit, const struct spec_resources *res, struct berr **err);

/* Sends sig to every process in the cgroup and its sub-cgroups. */
int cgroup_signal_all(const char *path, int sig, struct berr **err);
/* True when the kernel's OOM killer killed a process of this cgroup (memory.oom_control on v1,
 * memory.events on v2: "oom_kill N" with N > 0). */
bool cgroup_oom_killed(const char *path);
/* The kernel's oom_kill counter of the cgroup (0 when it cannot tell). */
uint64_t cgroup_oom_kill_count(const char *path);

/* ps: the pids in the cgroup and its sub-cgroups (malloc'ed array, *n entries). */
int cgroup_pids(const char *path, pid_t **out, size_t *n, struct berr **err);
/* events --stats: writes the "data" object of a stats event (cpu, memory, pids, blkio, hugetlb
 * as runc names them) from the cgroup files. */
int cgroup_stats(const char *path, json_writer *w, struct berr **err);
/* The same fields, into the object w is in (the caller adds its own, e.g. intel_rdt). */
int cgroup_stats_fields(const char *path, json_writer *w, struct berr **err);

/* update: applies res (as at create, device rules excepted) to the existing cgroup. Errors name
 * the field ("linux.resources.memory.limit: write memory.limit_in_bytes: ..."). */
int cgroup_update_path(const char *path, const struct spec_resources *res, struct berr **err);
/* pause / resume: freezes (frozen=true) or thaws every process of the cgroup and waits until the
 * kernel reports it done (bounded): v1 freezer.state FROZEN/THAWED where a v1 freezer hierarchy
 * is mounted, else v2 cgroup.freeze with cgroup.events "frozen 1"/"frozen 0". */
int cgroup_freeze(const char *path, bool frozen, struct berr **err);
/* True when the cgroup is frozen or being frozen (false when it cannot tell). */
bool cgroup_is_frozen(const char *path);

/* The cgroup path create gives a container of this id and config (spec may be NULL: the
 * default /berth/<id>), without creating anything: for delete --force when state.json cannot
 * be trusted. */
int cgroup_expected_path(const struct spec *spec, const char *id, char **out, struct berr **err);

/* Pure logic, exported for tests: the path for linux.cgroupsPath (NULL or "" = default), the
 * container id and berth's own cgroup (own_cgroup, used for relative paths). */
int cgroup_compute_path(const char *cgroups_path, const char *id, const char *own_cgroup,
                        char **out, struct berr **err);

/* --systemd-cgroup, pure logic exported for tests: the unit for linux.cgroupsPath
 * ("slice:prefix:name"; NULL or "" = "system.slice:berth:<id>"). */
struct cgroup_unit {
  char *slice; /* "machine.slice" */
  char *unit;  /* "libpod-<id>.scope", or "<name>.slice" */
  char *path;  /* its cgroup: "/machine.slice/libpod-<id>.scope" */
  bool is_slice;
};
int cgroup_systemd_unit(const char *cgroups_path, const char *id, struct cgroup_unit *u,
                        struct berr **err);
void cgroup_unit_clear(struct cgroup_unit *u);
/* The a(sv) properties of StartTransientUnit: Description (may be NULL), Slice, Delegate,
 * DefaultDependencies=no, PIDs (pid > 0, scopes), accounting, then the resources systemd knows
 * (MemoryMax, MemoryLow, MemorySwapMax, CPUWeight, CPUQuotaPerSecUSec, CPUQuotaPeriodUSec,
 * AllowedCPUs, AllowedMemoryNodes, TasksMax, IOWeight). u NULL: the resources alone. */
struct dbus_buf;
int cgroup_systemd_properties(const struct cgroup_unit *u, const char *description,
                              const struct spec_resources *res, pid_t pid, struct dbus_buf *b,
                              struct berr **err);

#endif
