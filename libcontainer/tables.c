/* The data tables: one static array per kind of name found in config.json.
 * Lookups are linear: the tables are small and read once per container. */
#include "tables.h"

#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/personality.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "libc_compat.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- constants older headers may lack ---- */
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SCHED_BATCH
#define SCHED_BATCH 3
#endif
#ifndef SCHED_ISO
#define SCHED_ISO 4
#endif
#ifndef SCHED_IDLE
#define SCHED_IDLE 5
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#ifndef SCHED_FLAG_RESET_ON_FORK
#define SCHED_FLAG_RESET_ON_FORK 0x01
#endif
#ifndef SCHED_FLAG_RECLAIM
#define SCHED_FLAG_RECLAIM 0x02
#endif
#ifndef SCHED_FLAG_DL_OVERRUN
#define SCHED_FLAG_DL_OVERRUN 0x04
#endif
#ifndef SCHED_FLAG_KEEP_POLICY
#define SCHED_FLAG_KEEP_POLICY 0x08
#endif
#ifndef SCHED_FLAG_KEEP_PARAMS
#define SCHED_FLAG_KEEP_PARAMS 0x10
#endif
#ifndef SCHED_FLAG_UTIL_CLAMP_MIN
#define SCHED_FLAG_UTIL_CLAMP_MIN 0x20
#endif
#ifndef SCHED_FLAG_UTIL_CLAMP_MAX
#define SCHED_FLAG_UTIL_CLAMP_MAX 0x40
#endif
/* From <linux/mempolicy.h>, which declares them as an enum: not included. */
#define BERTH_MPOL_DEFAULT 0
#define BERTH_MPOL_PREFERRED 1
#define BERTH_MPOL_BIND 2
#define BERTH_MPOL_INTERLEAVE 3
#define BERTH_MPOL_LOCAL 4
#define BERTH_MPOL_PREFERRED_MANY 5
#define BERTH_MPOL_WEIGHTED_INTERLEAVE 6
#define BERTH_MPOL_F_NUMA_BALANCING (1U << 13)
#define BERTH_MPOL_F_RELATIVE_NODES (1U << 14)
#define BERTH_MPOL_F_STATIC_NODES (1U << 15)
/* From <linux/ioprio.h> */
#define BERTH_IOPRIO_CLASS_RT 1
#define BERTH_IOPRIO_CLASS_BE 2
#define BERTH_IOPRIO_CLASS_IDLE 3

/* A generic name -> value pair, for the small enum-like tables. */
struct name_value {
  const char *name;
  uint64_t value;
};

static const struct name_value *nv_find(const struct name_value *t, size_t n, const char *name) {
  if (name == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (strcmp(t[i].name, name) == 0)
      return &t[i];
  return NULL;
}

static int nv_int(const struct name_value *e) { return e ? (int)e->value : -1; }

static const char *nv_name(const struct name_value *t, size_t n, uint64_t value,
                           const char *fallback) {
  for (size_t i = 0; i < n; i++)
    if (t[i].value == value)
      return t[i].name;
  return fallback;
}
#define NV_FIND(table, name) nv_find((table), ARRAY_LEN(table), (name))
/* name's value as an int, -1 when the table does not have it */
#define NV_INT(table, name) nv_int(NV_FIND(table, name))
/* name's value into *out (converted to its type): 0, or -1 when the table does not have it */
#define NV_VALUE(table, name, out)                                                                 \
  ({                                                                                               \
    const struct name_value *e_ = NV_FIND(table, name);                                            \
    if (e_ != NULL)                                                                                \
      *(out) = (__typeof__(*(out)))e_->value;                                                      \
    e_ != NULL ? 0 : -1;                                                                           \
  })
/* the name of value, or fallback */
#define NV_NAME(table, value, fallback) nv_name((table), ARRAY_LEN(table), (value), (fallback))
#define NV_NAME_AT(table, i) ((i) < ARRAY_LEN(table) ? (table)[i].name : NULL)

/* ---- namespaces ---- */
static const struct {
  const char *name, *proc_name;
  int clone_flag;
} namespaces[NS_COUNT] = {
    [NS_PID] = {"pid", "pid", CLONE_NEWPID},
    [NS_NETWORK] = {"network", "net", CLONE_NEWNET},
    [NS_MOUNT] = {"mount", "mnt", CLONE_NEWNS},
    [NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
    [NS_UTS] = {"uts", "uts", CLONE_NEWUTS},
    [NS_USER] = {"user", "user", CLONE_NEWUSER},
    [NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
    [NS_TIME] = {"time", "time", CLONE_NEWTIME},
};

int ns_type_from_name(const char *name) {
  for (int i = 0; i < NS_COUNT; i++)
    if (name && strcmp(namespaces[i].name, name) == 0)
      return i;
  return -1;
}

const char *ns_type_name(enum spec_ns_type t) {
  return (unsigned)t < NS_COUNT ? namespaces[t].name : NULL;
}

const char *ns_proc_name(enum spec_ns_type t) {
  return (unsigned)t < NS_COUNT ? namespaces[t].proc_name : NULL;
}

int ns_clone_flag(enum spec_ns_type t) {
  return (unsigned)t < NS_COUNT ? namespaces[t].clone_flag : 0;
}

/* ---- hooks ---- */
static const char *const hooks[] = {"prestart",       "createRuntime", "createContainer",
                                    "startContainer", "poststart",     "poststop"};

const char *hook_name_at(size_t i) { return i < ARRAY_LEN(hooks) ? hooks[i] : NULL; }

/* ---- capabilities, indexed by number ---- */
#define CAP(x) [x] = #x
static const char *const capabilities[] = {
    CAP(CAP_CHOWN),           CAP(CAP_DAC_OVERRIDE),     CAP(CAP_DAC_READ_SEARCH),
    CAP(CAP_FOWNER),          CAP(CAP_FSETID),           CAP(CAP_KILL),
    CAP(CAP_SETGID),          CAP(CAP_SETUID),           CAP(CAP_SETPCAP),
    CAP(CAP_LINUX_IMMUTABLE), CAP(CAP_NET_BIND_SERVICE), CAP(CAP_NET_BROADCAST),
    CAP(CAP_NET_ADMIN),       CAP(CAP_NET_RAW),          CAP(CAP_IPC_LOCK),
    CAP(CAP_IPC_OWNER),       CAP(CAP_SYS_MODULE),       CAP(CAP_SYS_RAWIO),
    CAP(CAP_SYS_CHROOT),      CAP(CAP_SYS_PTRACE),       CAP(CAP_SYS_PACCT),
    CAP(CAP_SYS_ADMIN),       CAP(CAP_SYS_BOOT),         CAP(CAP_SYS_NICE),
    CAP(CAP_SYS_RESOURCE),    CAP(CAP_SYS_TIME),         CAP(CAP_SYS_TTY_CONFIG),
    CAP(CAP_MKNOD),           CAP(CAP_LEASE),            CAP(CAP_AUDIT_WRITE),
    CAP(CAP_AUDIT_CONTROL),   CAP(CAP_SETFCAP),          CAP(CAP_MAC_OVERRIDE),
    CAP(CAP_MAC_ADMIN),       CAP(CAP_SYSLOG),           CAP(CAP_WAKE_ALARM),
    CAP(CAP_BLOCK_SUSPEND),   CAP(CAP_AUDIT_READ),       [38] = "CAP_PERFMON",
    [39] = "CAP_BPF",         [40] = "CAP_CHECKPOINT_RESTORE",
};
#undef CAP

int cap_from_name(const char *name) {
  for (size_t i = 0; name && i < ARRAY_LEN(capabilities); i++)
    if (capabilities[i] && strcmp(capabilities[i], name) == 0)
      return (int)i;
  return -1;
}

const char *cap_name(int cap) {
  return cap >= 0 && (size_t)cap < ARRAY_LEN(capabilities) ? capabilities[cap] : NULL;
}

int cap_table_last(void) { return (int)ARRAY_LEN(capabilities) - 1; }

/* ---- rlimits ---- */
#define RL(x) {#x, x}
static const struct name_value rlimits[] = {
    RL(RLIMIT_AS),      RL(RLIMIT_CORE),     RL(RLIMIT_CPU),    RL(RLIMIT_DATA),
    RL(RLIMIT_FSIZE),   RL(RLIMIT_LOCKS),    RL(RLIMIT_MEMLOCK), RL(RLIMIT_MSGQUEUE),
    RL(RLIMIT_NICE),    RL(RLIMIT_NOFILE),   RL(RLIMIT_NPROC),  RL(RLIMIT_RSS),
    RL(RLIMIT_RTPRIO),  RL(RLIMIT_RTTIME),   RL(RLIMIT_SIGPENDING), RL(RLIMIT_STACK),
};
#undef RL

int rlimit_from_name(const char *name) { return NV_INT(rlimits, name); }

const char *rlimit_name(int resource) { return NV_NAME(rlimits, (uint64_t)resource, NULL); }

/* ---- signals (names without the SIG prefix) ---- */
#define SIG(x) {#x, SIG##x}
static const struct name_value signals[] = {
    SIG(HUP),  SIG(INT),    SIG(QUIT),   SIG(ILL),  SIG(TRAP), SIG(ABRT),   SIG(IOT),
    SIG(BUS),  SIG(FPE),    SIG(KILL),   SIG(USR1), SIG(SEGV), SIG(USR2),   SIG(PIPE),
    SIG(ALRM), SIG(TERM),   SIG(STKFLT), SIG(CHLD), SIG(CLD),  SIG(CONT),   SIG(STOP),
    SIG(TSTP), SIG(TTIN),   SIG(TTOU),   SIG(URG),  SIG(XCPU), SIG(XFSZ),   SIG(VTALRM),
    SIG(PROF), SIG(WINCH),  SIG(IO),     SIG(POLL), SIG(PWR),  SIG(SYS),
};
#undef SIG

/* Parses a non-negative decimal number that is the whole of s; -1 if not. */
static int parse_small_uint(const char *s) {
  if (*s == '\0' || strlen(s) > 3)
    return -1;
  int v = 0;
  for (; *s; s++) {
    if (!isdigit((unsigned char)*s))
      return -1;
    v = v * 10 + (*s - '0');
  }
  return v;
}

int signal_from_name(const char *name) {
  if (name == NULL)
    return -1;
  int num = parse_small_uint(name);
  if (num >= 0)
    return num >= 1 && num <= SIGRTMAX ? num : -1;
  if (strncasecmp(name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < ARRAY_LEN(signals); i++)
    if (strcasecmp(signals[i].name, name) == 0)
      return (int)signals[i].value;
  if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
    bool min = strncasecmp(name, "RTMIN", 5) == 0;
    const char *rest = name + 5;
    int base = min ? SIGRTMIN : SIGRTMAX;
    if (*rest == '\0')
      return base;
    if (*rest != (min ? '+' : '-'))
      return -1;
    int off = parse_small_uint(rest + 1);
    int sig = min ? base + off : base - off;
    if (off < 0 || sig < SIGRTMIN || sig > SIGRTMAX)
      return -1;
    return sig;
  }
  return -1;
}

/* ---- mount options ---- */
#define FLAG(n, f) {n, MOPT_FLAG, false, f, 0}
#define CLEAR(n, f) {n, MOPT_FLAG, true, f, 0}
#define PROP(n, f) {n, MOPT_PROPAGATION, false, f, 0}
#define ATTR(n, a) {n, MOPT_ATTR, false, 0, a}
#define ATTR_CLR(n, a) {n, MOPT_ATTR, true, 0, a}
#define EXT(n) {n, MOPT_EXTENSION, false, 0, 0}
static const struct mount_option mount_options[] = {
    FLAG("defaults", 0),
    FLAG("ro", MS_RDONLY),
    CLEAR("rw", MS_RDONLY),
    FLAG("nosuid", MS_NOSUID),
    CLEAR("suid", MS_NOSUID),
    FLAG("nodev", MS_NODEV),
    CLEAR("dev", MS_NODEV),
    FLAG("noexec", MS_NOEXEC),
    CLEAR("exec", MS_NOEXEC),
    FLAG("sync", MS_SYNCHRONOUS),
    CLEAR("async", MS_SYNCHRONOUS),
    FLAG("dirsync", MS_DIRSYNC),
    FLAG("remount", MS_REMOUNT),
    FLAG("mand", MS_MANDLOCK),
    CLEAR("nomand", MS_MANDLOCK),
    FLAG("noatime", MS_NOATIME),
    CLEAR("atime", MS_NOATIME),
    FLAG("nodiratime", MS_NODIRATIME),
    CLEAR("diratime", MS_NODIRATIME),
    FLAG("relatime", MS_RELATIME),
    CLEAR("norelatime", MS_RELATIME),
    FLAG("strictatime", MS_STRICTATIME),
    CLEAR("nostrictatime", MS_STRICTATIME),
    FLAG("lazytime", MS_LAZYTIME),
    CLEAR("nolazytime", MS_LAZYTIME),
    FLAG("iversion", MS_I_VERSION),
    CLEAR("noiversion", MS_I_VERSION),
    FLAG("silent", MS_SILENT),
    CLEAR("loud", MS_SILENT),
    /* non-recursive nosymfollow is a plain mount(2) flag since Linux 5.10 */
    FLAG("nosymfollow", MS_NOSYMFOLLOW),
    CLEAR("symfollow", MS_NOSYMFOLLOW),
    FLAG("bind", MS_BIND),
    FLAG("rbind", MS_BIND | MS_REC),
    PROP("private", MS_PRIVATE),
    PROP("rprivate", MS_PRIVATE | MS_REC),
    PROP("shared", MS_SHARED),
    PROP("rshared", MS_SHARED | MS_REC),
    PROP("slave", MS_SLAVE),
    PROP("rslave", MS_SLAVE | MS_REC),
    PROP("unbindable", MS_UNBINDABLE),
    PROP("runbindable", MS_UNBINDABLE | MS_REC),
    ATTR("rro", MOUNT_ATTR_RDONLY),
    ATTR_CLR("rrw", MOUNT_ATTR_RDONLY),
    ATTR("rnosuid", MOUNT_ATTR_NOSUID),
    ATTR_CLR("rsuid", MOUNT_ATTR_NOSUID),
    ATTR("rnodev", MOUNT_ATTR_NODEV),
    ATTR_CLR("rdev", MOUNT_ATTR_NODEV),
    ATTR("rnoexec", MOUNT_ATTR_NOEXEC),
    ATTR_CLR("rexec", MOUNT_ATTR_NOEXEC),
    ATTR("rnodiratime", MOUNT_ATTR_NODIRATIME),
    ATTR_CLR("rdiratime", MOUNT_ATTR_NODIRATIME),
    ATTR("rnoatime", MOUNT_ATTR_NOATIME),
    ATTR_CLR("ratime", MOUNT_ATTR_NOATIME),
    ATTR("rrelatime", MOUNT_ATTR_RELATIME),
    ATTR_CLR("rnorelatime", MOUNT_ATTR_RELATIME),
    ATTR("rstrictatime", MOUNT_ATTR_STRICTATIME),
    ATTR_CLR("rnostrictatime", MOUNT_ATTR_STRICTATIME),
    ATTR("rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW),
    ATTR_CLR("rsymfollow", MOUNT_ATTR_NOSYMFOLLOW),
    EXT("tmpcopyup"),
    EXT("idmap"),
    EXT("ridmap"),
};
#undef FLAG
#undef CLEAR
#undef PROP
#undef ATTR
#undef ATTR_CLR
#undef EXT

const struct mount_option *mount_option_lookup(const char *name) {
  for (size_t i = 0; name && i < ARRAY_LEN(mount_options); i++)
    if (strcmp(mount_options[i].name, name) == 0)
      return &mount_options[i];
  return NULL;
}

const struct mount_option *mount_option_table(size_t *len) {
  *len = ARRAY_LEN(mount_options);
  return mount_options;
}

int propagation_from_name(const char *name, unsigned long *flags) {
  const struct mount_option *o = mount_option_lookup(name);
  if (o == NULL || o->kind != MOPT_PROPAGATION)
    return -1;
  *flags = o->flag;
  return 0;
}

/* ---- seccomp ---- */
static const struct name_value seccomp_actions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
};

static const struct name_value seccomp_operators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE}, {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

#define ARCH(x) {#x, x}
static const struct name_value seccomp_archs[] = {
    ARCH(SCMP_ARCH_X86),        ARCH(SCMP_ARCH_X86_64),    ARCH(SCMP_ARCH_X32),
    ARCH(SCMP_ARCH_ARM),        ARCH(SCMP_ARCH_AARCH64),
#ifdef SCMP_ARCH_LOONGARCH64
    ARCH(SCMP_ARCH_LOONGARCH64),
#endif
#ifdef SCMP_ARCH_M68K
    ARCH(SCMP_ARCH_M68K),
#endif
    ARCH(SCMP_ARCH_MIPS),       ARCH(SCMP_ARCH_MIPS64),    ARCH(SCMP_ARCH_MIPS64N32),
    ARCH(SCMP_ARCH_MIPSEL),     ARCH(SCMP_ARCH_MIPSEL64),  ARCH(SCMP_ARCH_MIPSEL64N32),
    ARCH(SCMP_ARCH_PPC),        ARCH(SCMP_ARCH_PPC64),     ARCH(SCMP_ARCH_PPC64LE),
    ARCH(SCMP_ARCH_S390),       ARCH(SCMP_ARCH_S390X),
#ifdef SCMP_ARCH_SH
    ARCH(SCMP_ARCH_SH),
#endif
#ifdef SCMP_ARCH_SHEB
    ARCH(SCMP_ARCH_SHEB),
#endif
#ifdef SCMP_ARCH_PARISC
    ARCH(SCMP_ARCH_PARISC),     ARCH(SCMP_ARCH_PARISC64),
#endif
#ifdef SCMP_ARCH_RISCV64
    ARCH(SCMP_ARCH_RISCV64),
#endif
};
#undef ARCH

#define SFLAG(x) {#x, x}
static const struct name_value seccomp_flags[] = {
    SFLAG(SECCOMP_FILTER_FLAG_TSYNC),
    SFLAG(SECCOMP_FILTER_FLAG_LOG),
    SFLAG(SECCOMP_FILTER_FLAG_SPEC_ALLOW),
    SFLAG(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV),
};
#undef SFLAG

int seccomp_action_from_name(const char *name, uint32_t *action) {
  return NV_VALUE(seccomp_actions, name, action);
}

int seccomp_operator_from_name(const char *name, int *op) {
  return NV_VALUE(seccomp_operators, name, op);
}

int seccomp_arch_from_name(const char *name, uint32_t *arch) {
  return NV_VALUE(seccomp_archs, name, arch);
}

int seccomp_flag_from_name(const char *name, unsigned int *flag) {
  return NV_VALUE(seccomp_flags, name, flag);
}

const char *seccomp_action_name_at(size_t i) { return NV_NAME_AT(seccomp_actions, i); }
const char *seccomp_operator_name_at(size_t i) { return NV_NAME_AT(seccomp_operators, i); }
const char *seccomp_arch_name_at(size_t i) { return NV_NAME_AT(seccomp_archs, i); }
const char *seccomp_flag_name_at(size_t i) { return NV_NAME_AT(seccomp_flags, i); }

/* ---- scheduler, I/O priority, memory policy ---- */
#define NV(x) {#x, x}
static const struct name_value sched_policies[] = {
    NV(SCHED_OTHER), NV(SCHED_FIFO), NV(SCHED_RR),      NV(SCHED_BATCH),
    NV(SCHED_ISO),   NV(SCHED_IDLE), NV(SCHED_DEADLINE),
};

static const struct name_value sched_flags[] = {
    NV(SCHED_FLAG_RESET_ON_FORK),  NV(SCHED_FLAG_RECLAIM),       NV(SCHED_FLAG_DL_OVERRUN),
    NV(SCHED_FLAG_KEEP_POLICY),    NV(SCHED_FLAG_KEEP_PARAMS),   NV(SCHED_FLAG_UTIL_CLAMP_MIN),
    NV(SCHED_FLAG_UTIL_CLAMP_MAX),
};
#undef NV

static const struct name_value ioprio_classes[] = {
    {"IOPRIO_CLASS_RT", BERTH_IOPRIO_CLASS_RT},
    {"IOPRIO_CLASS_BE", BERTH_IOPRIO_CLASS_BE},
    {"IOPRIO_CLASS_IDLE", BERTH_IOPRIO_CLASS_IDLE},
};

static const struct name_value mempolicy_modes[] = {
    {"MPOL_DEFAULT", BERTH_MPOL_DEFAULT},
    {"MPOL_PREFERRED", BERTH_MPOL_PREFERRED},
    {"MPOL_BIND", BERTH_MPOL_BIND},
    {"MPOL_INTERLEAVE", BERTH_MPOL_INTERLEAVE},
    {"MPOL_LOCAL", BERTH_MPOL_LOCAL},
    {"MPOL_PREFERRED_MANY", BERTH_MPOL_PREFERRED_MANY},
    {"MPOL_WEIGHTED_INTERLEAVE", BERTH_MPOL_WEIGHTED_INTERLEAVE},
};

static const struct name_value mempolicy_flags[] = {
    {"MPOL_F_NUMA_BALANCING", BERTH_MPOL_F_NUMA_BALANCING},
    {"MPOL_F_RELATIVE_NODES", BERTH_MPOL_F_RELATIVE_NODES},
    {"MPOL_F_STATIC_NODES", BERTH_MPOL_F_STATIC_NODES},
};

int sched_policy_from_name(const char *name) { return NV_INT(sched_policies, name); }

int sched_flag_from_name(const char *name, uint64_t *flag) {
  return NV_VALUE(sched_flags, name, flag);
}

int ioprio_class_from_name(const char *name) { return NV_INT(ioprio_classes, name); }

int mempolicy_mode_from_name(const char *name) { return NV_INT(mempolicy_modes, name); }

const char *mempolicy_mode_name(int mode) { return NV_NAME(mempolicy_modes, (uint64_t)mode, "?"); }

const char *mempolicy_mode_name_at(size_t i) { return NV_NAME_AT(mempolicy_modes, i); }
const char *mempolicy_flag_name_at(size_t i) { return NV_NAME_AT(mempolicy_flags, i); }

int mempolicy_flag_from_name(const char *name, unsigned int *flag) {
  return NV_VALUE(mempolicy_flags, name, flag);
}

/* ---- personality flags (sys/personality.h) ---- */
#define PF(x) {#x, x}
static const struct name_value personality_flags[] = {
    PF(UNAME26),         PF(ADDR_NO_RANDOMIZE), PF(FDPIC_FUNCPTRS),   PF(MMAP_PAGE_ZERO),
    PF(ADDR_COMPAT_LAYOUT), PF(READ_IMPLIES_EXEC), PF(ADDR_LIMIT_32BIT), PF(SHORT_INODE),
    PF(WHOLE_SECONDS),   PF(STICKY_TIMEOUTS),   PF(ADDR_LIMIT_3GB),
};
#undef PF

int personality_flag_from_name(const char *name, unsigned long *flag) {
  return NV_VALUE(personality_flags, name, flag);
}
