/* Shared between the files of libcontainer/cgroup/ only. */
#ifndef BERTH_CGROUP_INTERNAL_H
#define BERTH_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "../cgroup.h"
#include "../dbus.h"
#include "../error.h"
#include "../spec.h"

#define CG_ROOT "/sys/fs/cgroup"

/* One mounted hierarchy and the container's directory in it. */
struct cg_hier {
  char *mnt;     /* mount point, e.g. /sys/fs/cgroup/memory */
  char *ctls;    /* v1: the mount's controllers "cpu,cpuacct" / "name=systemd";
                    v2: cgroup.controllers of the container's directory (space separated) */
  bool v2;
  char *dir;     /* mnt + path */
  char *created; /* topmost directory cgroup_create made (full path), NULL if none */
  bool made_dir; /* cgroup_create made dir itself (not only a parent of it): only then is it
                    ours to empty and remove */
};

/* --systemd-cgroup: the unit systemd manages the cgroup for (systemd.c). */
struct cg_systemd {
  struct cgroup_unit u;
  const struct spec *spec; /* borrowed from create: applied once the unit runs */
  char *description;
  struct dbus_conn *conn; /* from the start of the unit until cgroup_free */
  bool started;           /* StartTransientUnit queued its job: stop the unit on failure */
};

struct cgroup {
  char *path;   /* "/berth/c1" */
  bool unified; /* pure cgroup v2 host */
  struct cg_hier *h;
  size_t n;
  struct cg_systemd *sd; /* NULL: the cgroupfs driver */
  int dev_prog;          /* the device program between cgroup_devices_prepare and _apply, or -1 */
};

/* cgroup.c: a zeroed struct cgroup (dev_prog -1), NULL when out of memory. */
struct cgroup *cg_alloc(void);

/* cgroup.c */
int cg_discover(struct cg_hier **out, size_t *n, bool *unified, struct berr **err);
void cg_hiers_free(struct cg_hier *h, size_t n);
bool cg_list_has(const char *list, const char *ctl); /* list separated by ',' or ' ' */
/* The hierarchy holding controller ctl (v1 first), NULL when none has it. */
struct cg_hier *cg_find(const struct cgroup *cg, const char *ctl);
/* Writes val to dir/file; on failure the error reads "<field>: write <file>: <strerror>". */
int cg_write(const char *dir, const char *file, const char *val, const char *field,
             struct berr **err);
int cg_writef(const char *dir, const char *file, const char *field, struct berr **err,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Reads dir/file (trailing newline stripped). NULL on failure with errno set. */
char *cg_read(const char *dir, const char *file);
bool cg_file_exists(const char *dir, const char *file);
/* The container's cgroup from the path stored in state.json: every mounted hierarchy, dir set
 * (it may not exist in all of them), created NULL (nothing is removed by cgroup_free). */
int cg_open_stored(const char *path, struct cgroup **out, struct berr **err);
/* The "controller is missing" error for a field. */
int cg_missing(const char *field, const char *ctl, bool v2, struct berr **err);

/* procs.c: calls fn for every pid in dir/cgroup.procs and in its sub-cgroups (depth first, at
 * most 32 levels); a sub-cgroup removed meanwhile is skipped, an unreadable dir is an error.
 * fn returning < 0 (its error set) stops the walk. */
typedef int (*cg_pid_fn)(pid_t pid, void *data, struct berr **err);
int cg_for_each_pid(const char *dir, cg_pid_fn fn, void *data, struct berr **err);

/* systemd.c / systemd_props.c */
/* cgroup_create for --systemd-cgroup: checks systemd runs, computes the unit and its cgroup;
 * nothing exists until cg_systemd_start(). */
int cg_systemd_create(const struct spec *spec, const char *id, struct cgroup **out,
                      struct berr **err);
/* After clone: starts the unit with pid in it, waits for the job, then applies every resource
 * through the cgroupfs code on the unit's cgroup (cgroup_enter for this driver). */
int cg_systemd_start(struct cgroup *cg, pid_t pid, struct berr **err);
/* A failed create: kills what is in the unit's cgroup, stops the unit, resets its failed
 * state. */
void cg_systemd_destroy(struct cgroup *cg);
void cg_systemd_free(struct cg_systemd *sd);
/* "a-b.slice" -> "/a.slice/a-b.slice"; errors name linux.cgroupsPath cp */
int cg_systemd_slice_path(const char *slice, char **out, const char *cp, struct berr **err);
/* cgroup.c: mkdir -p of path below h->mnt (h->created: the topmost directory made), filling
 * a v1 cpuset it makes; exclusive: the last component must not exist yet */
int cg_mkdir_p(struct cg_hier *h, const char *path, bool exclusive, struct berr **err);
/* cgroup.c: SIGKILL everything in dir and below (cgroup.kill on v2), bounded */
void cg_kill_all(const char *dir, bool v2);

/* v1.c */
int cg_v1_discover(struct cg_hier **out, size_t *n, struct berr **err);
int cg_v1_cpuset_init(const struct cg_hier *h, const char *path, struct berr **err);
/* freezer.c: an error when the cgroup (its directories made or found) is frozen: a process
 * put in it would stop at once (runc refuses it with the same words) */
int cg_check_not_frozen(const struct cgroup *cg, struct berr **err);
int cg_v1_devices(const struct cgroup *cg, const struct spec *spec, struct berr **err);
/* The device rules a container gets, in order: linux.resources.devices, then the defaults every
 * container has (null, zero, full, random, urandom, tty, console, ptmx, pts, mknod of any), as
 * runc. The nodes of linux.devices are not allowed by being made. A shallow copy (strings owned by spec and static data); free(). */
int cg_device_rules(const struct spec *spec, struct spec_device_cgroup **out, size_t *n,
                    struct berr **err);

/* devices_bpf.c: on a pure v2 host, the same rules as an eBPF program on the cgroup: in one
 * step (the systemd driver), or loaded first and attached later (cgroup_devices_prepare/apply). */
int cg_v2_devices(const struct cgroup *cg, const struct spec *spec, struct berr **err);
int cg_v2_devices_load(const struct spec *spec, int *prog, struct berr **err);
int cg_v2_devices_attach(const struct cgroup *cg, int prog, struct berr **err);

/* v2.c */
int cg_v2_enable(const struct cg_hier *h, const char *path, const struct spec_resources *res,
                 struct berr **err);
int cg_v2_load_controllers(struct cg_hier *h, struct berr **err);
int cg_v2_unified(const struct cgroup *cg, const struct spec_resources *res, struct berr **err);
bool cg_v2_kill(const char *dir); /* writes cgroup.kill; false when the kernel lacks it */

/* resources_v1.c / resources_v2.c */
/* linux.resources without the device rules (cg_v1_devices, cg_bpf_devices apply those): shared
 * by create and update. */
int cg_v1_apply(const struct cgroup *cg, const struct spec_resources *r, struct berr **err);
int cg_v2_apply(const struct cgroup *cg, const struct spec_resources *r, struct berr **err);
/* The hierarchy to write ctl's files in for a config field, or NULL with the "controller is
 * missing" error set (resources_v1.c and resources_v2.c each have theirs). */
typedef const struct cg_hier *(*cg_lookup_fn)(const struct cgroup *cg, const char *ctl,
                                              const char *field, struct berr **err);
/* cpu.cpus / cpu.mems: the same cpuset files on both versions, shared by both. */
int cg_apply_cpuset(const struct cgroup *cg, const struct spec_cpu *c, cg_lookup_fn lookup,
                    struct berr **err);
/* hugepageLimits on any hierarchy (v1 or v2 file names), shared by both. */
int cg_apply_hugetlb(const struct cgroup *cg, const struct spec_resources *res, struct berr **err);
/* runc's conversions, shared with the systemd properties: memory.swap.max from the v1-style
 * swap (memory + swap) total (-1: max; 0 with swap 0: leave alone), cpu.weight from cpu.shares. */
int cg_v2_swap_value(const struct spec_memory *m, int64_t *out, struct berr **err);
uint64_t cg_v2_cpu_weight(uint64_t shares);
/* rdma.c: linux.resources.rdma into rdma.max, on either version. */
int cg_apply_rdma(const struct cgroup *cg, const struct spec_resources *r, struct berr **err);

#endif
