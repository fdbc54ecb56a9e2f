/* Scheduler, I/O priority and CPU affinity of the container process: see scheduling.h. */
#include "scheduling.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>


#define LONG_BITS (sizeof(unsigned long) * CHAR_BIT)

/* ---- "0-3,7" ---- */

static int parse_num(const char **s, unsigned long *out) {
  if (!isdigit((unsigned char)**s))
    return -1;
  char *end;
  errno = 0;
  *out = strtoul(*s, &end, 10);
  if (errno)
    return -1;
  *s = end;
  return 0;
}

int idlist_parse(const char *list, unsigned long *mask, size_t nbits, const char *field,
                 struct berr **err) {
  memset(mask, 0, (nbits + LONG_BITS - 1) / LONG_BITS * sizeof(unsigned long));
  const char *s = list;
  while (*s) {
    unsigned long lo, hi;
    if (parse_num(&s, &lo) < 0)
      return berr_code(err, EINVAL, "%s \"%s\": expected a number at \"%s\"", field, list, s);
    hi = lo;
    if (*s == '-') {
      s++;
      if (parse_num(&s, &hi) < 0)
        return berr_code(err, EINVAL, "%s \"%s\": expected a number at \"%s\"", field, list, s);
      if (hi < lo)
        return berr_code(err, EINVAL, "%s \"%s\": range %lu-%lu goes down", field, list, lo, hi);
    }
    if (hi >= nbits)
      return berr_code(err, EINVAL, "%s \"%s\": %lu is above the highest supported %zu", field,
                       list, hi, nbits - 1);
    for (unsigned long i = lo; i <= hi; i++)
      mask[i / LONG_BITS] |= 1UL << (i % LONG_BITS);
    if (*s == ',' && s[1] != '\0')
      s++;
    else if (*s != '\0')
      return berr_code(err, EINVAL, "%s \"%s\": unexpected \"%s\"", field, list, s);
  }
  return 0;
}

/* ---- process.scheduler ---- */

/* struct sched_attr (SCHED_ATTR_SIZE_VER1): glibc has no wrapper. */
struct berth_sched_attr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
};

static const char *policy_name(int policy) {
  static const char *const names[] = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",
                                      "SCHED_BATCH", "SCHED_ISO",  "SCHED_IDLE",
                                      "SCHED_DEADLINE"};
  return policy >= 0 && (size_t)policy < sizeof(names) / sizeof(names[0]) ? names[policy] : "?";
}

int sched_apply_scheduler(const struct spec_scheduler *s, struct berr **err) {
  if (s == NULL)
    return 0;
  struct berth_sched_attr a = {
      .size = sizeof(a),
      .sched_policy = (uint32_t)s->policy,
      .sched_flags = s->flags,
      .sched_nice = s->nice,
      .sched_priority = (uint32_t)s->priority,
      .sched_runtime = s->runtime,
      .sched_deadline = s->deadline,
      .sched_period = s->period,
      .sched_util_max = 1024, /* no clamp: the spec has no utilization fields */
  };
  if (syscall(SYS_sched_setattr, 0, &a, 0) == 0)
    return 0;
  int e = errno;
  const char *name = policy_name(s->policy);
  bool rt = s->policy == SCHED_FIFO || s->policy == SCHED_RR || s->policy == SCHED_DEADLINE;
  if (e == EPERM && rt)
    return berr_set(err, e,
                    "process.scheduler: %s priority %d needs CAP_SYS_NICE and, where the cpu "
                    "cgroup limits real-time tasks, linux.resources.cpu.realtimeRuntime",
                    name, s->priority);
  if (e == EPERM)
    return berr_set(err, e, "process.scheduler: %s nice %d (a lower nice needs CAP_SYS_NICE)",
                    name, s->nice);
  return berr_set(err, e,
                  "process.scheduler: sched_setattr %s nice %d priority %d flags %#llx runtime "
                  "%llu deadline %llu period %llu",
                  name, s->nice, s->priority, (unsigned long long)s->flags,
                  (unsigned long long)s->runtime, (unsigned long long)s->deadline,
                  (unsigned long long)s->period);
}

/* ---- process.ioPriority ---- */

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_SHIFT 13

int sched_check_io_priority(const struct spec_io_priority *io, struct berr **err) {
  if (io != NULL && (io->priority < 0 || io->priority > 7))
    return berr_code(err, EINVAL, "process.ioPriority.priority %d: must be 0 (highest) to 7",
                     io->priority);
  return 0;
}

int sched_apply_io_priority(const struct spec_io_priority *io, struct berr **err) {
  if (io == NULL)
    return 0;
  if (sched_check_io_priority(io, err) < 0)
    return -1;
  int prio = (io->klass << IOPRIO_CLASS_SHIFT) | io->priority;
  if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, prio) < 0)
    return berr_errno(err, "process.ioPriority: ioprio_set class %d priority %d%s", io->klass,
                      io->priority,
                      errno == EPERM ? " (IOPRIO_CLASS_RT needs CAP_SYS_ADMIN or CAP_SYS_NICE)"
                                     : "");
  return 0;
}

/* ---- process.execCPUAffinity ---- */

static const char *affinity_list(const struct spec_cpu_affinity *a, bool final) {
  const char *l = a == NULL ? NULL : final ? a->final : a->initial;
  return l && *l ? l : NULL;
}

static int parse_cpus(const struct spec_cpu_affinity *a, bool final, cpu_set_t *set,
                      struct berr **err) {
  const char *field = final ? "process.execCPUAffinity.final" : "process.execCPUAffinity.initial";
  if (idlist_parse(affinity_list(a, final), (unsigned long *)set, CPU_SETSIZE, field, err) < 0)
    return -1;
  if (CPU_COUNT(set) == 0)
    return berr_code(err, EINVAL, "%s: lists no CPU", field);
  return 0;
}

int sched_check_cpu_affinity(const struct spec_cpu_affinity *a, struct berr **err) {
  cpu_set_t set;
  for (int final = 0; final < 2; final++)
    if (affinity_list(a, final) && parse_cpus(a, final, &set, err) < 0)
      return -1;
  return 0;
}

int sched_apply_cpu_affinity(const struct spec_cpu_affinity *a, bool final, struct berr **err) {
  const char *list = affinity_list(a, final);
  if (list == NULL)
    return 0;
  cpu_set_t set;
  if (parse_cpus(a, final, &set, err) < 0)
    return -1;
  if (sched_setaffinity(0, sizeof(set), &set) < 0)
    return berr_errno(err, "process.execCPUAffinity.%s \"%s\": sched_setaffinity%s",
                      final ? "final" : "initial", list,
                      errno == EINVAL ? " (no listed CPU is online and allowed by the cpuset)"
                                      : "");
  return 0;
}
