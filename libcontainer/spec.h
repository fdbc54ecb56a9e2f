/* The config model: config.json (OCI runtime-spec v1.3.0, Linux) parsed once
 * into typed structs whose names mirror the spec (`process.user.uid` is
 * spec->process->user.uid). `has_*` flags keep "unset" apart from "zero"
 * where the spec distinguishes them. Optional objects are NULL when absent.
 * Arrays are (pointer, count) pairs; string vectors are NULL-terminated too. */
#ifndef BERTH_SPEC_H
#define BERTH_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* GNU C modes (-std=gnu11) predefine `linux` as 1, and the model has a member
 * named `linux` (spec->linux): drop the macro. */
#ifdef linux
#undef linux
#endif

struct spec_string_list {
  char **items; /* NULL-terminated; NULL when absent */
  size_t len;
};

struct spec_id_mapping {
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct spec_hook {
  char *path;
  struct spec_string_list args;
  struct spec_string_list env;
  bool has_timeout;
  int timeout; /* seconds, >= 1 */
};

struct spec_hook_list {
  struct spec_hook *items;
  size_t len;
};

struct spec_hooks {
  struct spec_hook_list prestart, create_runtime, create_container, start_container, poststart,
      poststop;
};

/* ---- mounts ---- */

/* What a mount option string means (filled by the option table in mount_options.c). */
struct spec_mount {
  char *destination; /* absolute (validated) */
  char *source;      /* may be NULL */
  char *type;        /* may be NULL (bind mounts) */
  struct spec_string_list options;
  struct spec_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct spec_id_mapping *gid_mappings;
  size_t gid_mappings_len;

  /* derived from options by spec_parse() through the mount option table */
  unsigned long flags;           /* MS_* to set */
  unsigned long clear_flags;     /* MS_* the options explicitly clear (rw, suid, dev...) */
  unsigned long propagation;     /* MS_SHARED/MS_PRIVATE/MS_SLAVE/MS_UNBINDABLE [|MS_REC] or 0 */
  uint64_t attr_set;             /* MOUNT_ATTR_* for mount_setattr (recursive options) */
  uint64_t attr_clr;
  bool attr_recursive;           /* any r* attribute option given */
  bool is_bind;                  /* bind or rbind */
  bool tmpcopyup;
  bool idmap, ridmap;            /* "idmap" / "ridmap" options */
  char *data;                    /* comma-joined filesystem data options, NULL if none */
};

/* ---- process ---- */

struct spec_rlimit {
  int resource; /* RLIMIT_* */
  char *type;   /* as written, e.g. "RLIMIT_NOFILE" */
  uint64_t soft, hard;
};

/* capability sets as bitmasks of CAP_* numbers (bit n = capability n) */
struct spec_capabilities {
  bool has_bounding, has_effective, has_inheritable, has_permitted, has_ambient;
  uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct spec_user {
  uint32_t uid, gid;
  bool has_umask;
  uint32_t umask;
  uint32_t *additional_gids;
  size_t additional_gids_len;
  char *username; /* Windows only; kept for completeness */
};

struct spec_console_size {
  uint64_t height, width;
};

struct spec_scheduler {
  int policy;  /* SCHED_* */
  int32_t nice;
  int32_t priority;
  uint64_t flags; /* SCHED_FLAG_* bits */
  uint64_t runtime, deadline, period;
};

struct spec_io_priority {
  int klass; /* IOPRIO_CLASS_RT=1, BE=2, IDLE=3 */
  int32_t priority;
};

struct spec_cpu_affinity {
  char *initial; /* cpu list strings as written, NULL when absent */
  char *final;
};

struct spec_process {
  bool terminal;
  struct spec_console_size *console_size;
  char *cwd;
  struct spec_string_list args;
  char *command_line; /* Windows only */
  struct spec_string_list env;
  struct spec_user user;
  struct spec_capabilities *capabilities;
  struct spec_rlimit *rlimits;
  size_t rlimits_len;
  bool no_new_privileges;
  char *apparmor_profile;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *selinux_label;
  struct spec_scheduler *scheduler;
  struct spec_io_priority *io_priority;
  struct spec_cpu_affinity *exec_cpu_affinity;
};

/* ---- linux ---- */

enum spec_ns_type {
  NS_PID = 0,
  NS_NETWORK,
  NS_MOUNT,
  NS_IPC,
  NS_UTS,
  NS_USER,
  NS_CGROUP,
  NS_TIME,
  NS_COUNT
};

struct spec_namespace {
  enum spec_ns_type type;
  char *path; /* NULL: create a new one */
};

struct spec_device {
  char type; /* 'c', 'b', 'u', 'p' */
  char *path;
  int64_t major, minor;
  bool has_file_mode;
  uint32_t file_mode;
  bool has_uid, has_gid;
  uint32_t uid, gid;
};

struct spec_device_cgroup {
  bool allow;
  char type; /* 'a', 'c', 'b'; 'a' when absent */
  bool has_major, has_minor;
  int64_t major, minor; /* -1 = wildcard */
  char *access;         /* subset of "rwm"; NULL = "rwm" */
};

struct spec_weight_device {
  int64_t major, minor;
  bool has_weight, has_leaf_weight;
  uint16_t weight, leaf_weight;
};

struct spec_throttle_device {
  int64_t major, minor;
  uint64_t rate;
};

struct spec_memory {
  bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp, has_swappiness,
      has_disable_oom_killer, has_use_hierarchy, has_check_before_update;
  int64_t limit, reservation, swap, kernel, kernel_tcp;
  uint64_t swappiness;
  bool disable_oom_killer, use_hierarchy, check_before_update;
};

struct spec_cpu {
  bool has_shares, has_quota, has_burst, has_period, has_realtime_runtime, has_realtime_period,
      has_idle;
  uint64_t shares;
  int64_t quota;
  uint64_t burst;
  uint64_t period;
  int64_t realtime_runtime;
  uint64_t realtime_period;
  char *cpus; /* NULL when absent */
  char *mems;
  int64_t idle;
};

struct spec_block_io {
  bool has_weight, has_leaf_weight;
  uint16_t weight, leaf_weight;
  struct spec_weight_device *weight_device;
  size_t weight_device_len;
  struct spec_throttle_device *throttle_read_bps, *throttle_write_bps, *throttle_read_iops,
      *throttle_write_iops;
  size_t throttle_read_bps_len, throttle_write_bps_len, throttle_read_iops_len,
      throttle_write_iops_len;
};

struct spec_hugepage_limit {
  char *page_size;
  uint64_t limit;
};

struct spec_net_priority {
  char *name;
  uint32_t priority;
};

struct spec_network {
  bool has_class_id;
  uint32_t class_id;
  struct spec_net_priority *priorities;
  size_t priorities_len;
};

struct spec_rdma {
  char *device;
  bool has_hca_handles, has_hca_objects;
  uint32_t hca_handles, hca_objects;
};

struct spec_key_value {
  char *key;
  char *value;
};

struct spec_resources {
  struct spec_device_cgroup *devices;
  size_t devices_len;
  struct spec_memory *memory;
  struct spec_cpu *cpu;
  bool has_pids_limit;
  int64_t pids_limit;
  struct spec_block_io *block_io;
  struct spec_hugepage_limit *hugepage_limits;
  size_t hugepage_limits_len;
  struct spec_network *network;
  struct spec_rdma *rdma;
  size_t rdma_len;
  struct spec_key_value *unified;
  size_t unified_len;
};

struct spec_seccomp_arg {
  unsigned int index; /* 0..5 */
  uint64_t value;
  uint64_t value_two;
  int op; /* enum scmp_compare: SCMP_CMP_* */
};

struct spec_seccomp_syscall {
  struct spec_string_list names;
  uint32_t action; /* SCMP_ACT_* (errno/trace value folded in at build time) */
  char *action_name;
  bool has_errno_ret;
  uint32_t errno_ret;
  struct spec_seccomp_arg *args;
  size_t args_len;
};

struct spec_seccomp {
  uint32_t default_action;
  char *default_action_name;
  bool has_default_errno_ret;
  uint32_t default_errno_ret;
  uint32_t *architectures; /* SCMP_ARCH_* tokens */
  size_t architectures_len;
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* bits */
  char *listener_path;
  char *listener_metadata;
  struct spec_seccomp_syscall *syscalls;
  size_t syscalls_len;
};

struct spec_time_offset {
  bool present;
  int64_t secs;
  uint32_t nanosecs;
};

struct spec_personality {
  unsigned long domain; /* PER_LINUX or PER_LINUX32 */
  struct spec_string_list flags;
};

struct spec_memory_policy {
  int mode;      /* MPOL_* */
  char *nodes;   /* NULL when absent */
  unsigned int flags; /* MPOL_F_* bits */
};

struct spec_intel_rdt {
  char *clos_id;
  struct spec_string_list schemata;
  char *l3_cache_schema;
  char *mem_bw_schema;
  bool enable_monitoring;
};

struct spec_net_device {
  char *host_name; /* the key */
  char *name;      /* new name in the container, NULL: keep */
};

struct spec_linux {
  struct spec_namespace *namespaces;
  size_t namespaces_len;
  struct spec_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  struct spec_id_mapping *gid_mappings;
  size_t gid_mappings_len;
  struct spec_time_offset time_boottime, time_monotonic;
  struct spec_device *devices;
  size_t devices_len;
  struct spec_net_device *net_devices;
  size_t net_devices_len;
  char *cgroups_path;
  struct spec_resources *resources;
  unsigned long rootfs_propagation; /* MS_* or 0 when absent */
  struct spec_seccomp *seccomp;
  struct spec_key_value *sysctl;
  size_t sysctl_len;
  struct spec_string_list masked_paths;
  struct spec_string_list readonly_paths;
  char *mount_label;
  struct spec_intel_rdt *intel_rdt;
  struct spec_personality *personality;
  struct spec_memory_policy *memory_policy;
};

struct spec_root {
  char *path;
  bool readonly;
};

struct spec {
  char *oci_version;
  struct spec_root root;
  struct spec_process *process; /* NULL when absent */
  char *hostname;               /* NULL when absent */
  char *domainname;
  struct spec_mount *mounts;
  size_t mounts_len;
  struct spec_hooks hooks;
  struct spec_key_value *annotations;
  size_t annotations_len;
  struct spec_linux *linux; /* NULL when absent */
};

/* The highest user or group id berth accepts anywhere (config, exec --user): runc's limit. */
#define SPEC_ID_MAX 2147483647u
#define SPEC_STOP_SIGNAL_KEY "org.opencontainers.image.stopSignal"

/* The signal of the org.opencontainers.image.stopSignal annotation (config.md: the one kill
 * SHOULD send): its number, 0 when the annotation is absent, -1 when it names no signal. */
int spec_stop_signal(const struct spec_key_value *annotations, size_t len);

/* Parses and validates config.json text. Errors name the JSON path:
 * "config.json: linux.namespaces[3].type: unknown namespace type \"bogus\"". */
int spec_parse(const char *text, size_t len, struct spec **out, struct berr **err);
/* Reads <bundle>/config.json and parses it. */
int spec_load_bundle(const char *bundle, struct spec **out, struct berr **err);
/* spec_load_bundle() that also hands over the text read (malloc'ed) when text is not NULL. */
int spec_load_text(const char *bundle, struct spec **out, char **text, size_t *len,
                   struct berr **err);
/* Reads and parses dirfd/name (a copy of a config.json); errno ENOENT when there is none. */
int spec_load_copy(int dirfd, const char *name, struct spec **out, struct berr **err);
/* linux.cgroupsPath of the config copy dirfd/name alone, without spec_parse() (delete's check
 * of state.json's cgroup: a full parse was most of a delete's cpu): 0 and *out (NULL when
 * absent), -1 when the file cannot be read or is no JSON, or the field is not a string. */
int spec_copy_cgroups_path(int dirfd, const char *name, char **out);
/* Parses a process object alone (exec --process FILE), same rules as config.json's. */
int spec_parse_process(const char *text, size_t len, struct spec_process **out, struct berr **err);

/* Parses a linux.resources object alone (update --resources), same rules as config.json's;
 * errors name "linux.resources.<field>". Free with spec_resources_free(). */
int spec_parse_resources(const char *text, size_t len, struct spec_resources **out,
                         struct berr **err);

void spec_free(struct spec *s);
void spec_resources_free(struct spec_resources *r);
void spec_process_free(struct spec_process *p);
void spec_cleanup(struct spec **s);
#define cleanup_spec __attribute__((cleanup(spec_cleanup)))

/* Helpers on the model */
const struct spec_namespace *spec_find_namespace(const struct spec *s, enum spec_ns_type t);
bool spec_has_new_namespace(const struct spec *s, enum spec_ns_type t); /* present without path */

#endif
