/* The data tables: one per kind of name in config.json. The parser and the
 * `features` command both read these, so berth never claims what it lacks. */
#ifndef BERTH_TABLES_H
#define BERTH_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec.h"

/* namespaces: "pid" "network" "mount" "ipc" "uts" "user" "cgroup" "time" */
int ns_type_from_name(const char *name); /* -1 if unknown */
const char *ns_type_name(enum spec_ns_type t);
const char *ns_proc_name(enum spec_ns_type t); /* /proc/PID/ns/<name>: "net", "mnt", ... */
int ns_clone_flag(enum spec_ns_type t);        /* CLONE_NEW* */

/* hooks: "prestart" "createRuntime" "createContainer" "startContainer" "poststart"
 * "poststop", in the order they run; NULL past the end. */
const char *hook_name_at(size_t i);

/* capabilities: "CAP_CHOWN" ... ; numbers as in linux/capability.h */
int cap_from_name(const char *name); /* -1 if unknown */
const char *cap_name(int cap);       /* NULL if out of table */
int cap_table_last(void);            /* highest capability number in the table */

/* rlimits: "RLIMIT_NOFILE" ... */
int rlimit_from_name(const char *name); /* -1 if unknown */
const char *rlimit_name(int resource);

/* signals: "KILL", "SIGKILL", "9", "SIGRTMIN+3" */
int signal_from_name(const char *name); /* -1 if unknown */

/* mount options */
enum mount_option_kind {
  MOPT_FLAG,        /* MS_* flag set (or cleared when `clear`) */
  MOPT_PROPAGATION, /* MS_SHARED/... */
  MOPT_ATTR,        /* MOUNT_ATTR_* through mount_setattr, recursive */
  MOPT_EXTENSION,   /* tmpcopyup, idmap, ridmap, bind/rbind handled by name */
};
struct mount_option {
  const char *name;
  enum mount_option_kind kind;
  bool clear;          /* the option clears the flag/attr ("rw", "suid", "rrw" ...) */
  unsigned long flag;  /* MS_* for FLAG/PROPAGATION */
  uint64_t attr;       /* MOUNT_ATTR_* for ATTR */
};
const struct mount_option *mount_option_lookup(const char *name); /* NULL: fs data option */
const struct mount_option *mount_option_table(size_t *len);

/* propagation names for rootfsPropagation: "private" "rprivate" "shared" ... */
int propagation_from_name(const char *name, unsigned long *flags); /* -1 if unknown */

/* seccomp: names from the spec, values from libseccomp */
int seccomp_action_from_name(const char *name, uint32_t *action); /* -1 if unknown */
int seccomp_operator_from_name(const char *name, int *op);
int seccomp_arch_from_name(const char *name, uint32_t *arch);
int seccomp_flag_from_name(const char *name, unsigned int *flag);
/* For `features`: iterate names; returns NULL past the end. */
const char *seccomp_action_name_at(size_t i);
const char *seccomp_operator_name_at(size_t i);
const char *seccomp_arch_name_at(size_t i);
const char *seccomp_flag_name_at(size_t i);

/* scheduler / ioprio / memory policy / personality */
int sched_policy_from_name(const char *name);    /* -1 if unknown */
int sched_flag_from_name(const char *name, uint64_t *flag);
int ioprio_class_from_name(const char *name);    /* -1 if unknown */
int mempolicy_mode_from_name(const char *name);  /* -1 if unknown */
int mempolicy_flag_from_name(const char *name, unsigned int *flag);
const char *mempolicy_mode_name(int mode); /* "?" if unknown */
const char *mempolicy_mode_name_at(size_t i);
const char *mempolicy_flag_name_at(size_t i);
/* personality flags: "ADDR_NO_RANDOMIZE" ... (sys/personality.h) */
int personality_flag_from_name(const char *name, unsigned long *flag); /* -1 if unknown */

#endif
