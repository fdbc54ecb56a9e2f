/* Scheduling of the container process: process.scheduler (sched_setattr),
 * process.ioPriority (ioprio_set), process.execCPUAffinity (sched_setaffinity),
 * and the "0-3,7" list syntax shared with linux.memoryPolicy.nodes.
 * All return 0, or -1 with *err naming the config field. */
#ifndef BERTH_SCHEDULING_H
#define BERTH_SCHEDULING_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "spec.h"

/* Parses a list such as "0-3,7" into the bitmask `mask` of `nbits` bits
 * (zeroed first). Each number must be < nbits; ranges ascend; empty items,
 * signs and other characters are errors naming `field`. An empty list gives
 * an empty mask. */
int idlist_parse(const char *list, unsigned long *mask, size_t nbits, const char *field,
                 struct berr **err);

/* process.scheduler via sched_setattr(2); NULL: nothing. EPERM names what is
 * missing (CAP_SYS_NICE, or a real-time budget in the cpu cgroup). */
int sched_apply_scheduler(const struct spec_scheduler *s, struct berr **err);

/* process.ioPriority via ioprio_set(2); NULL: nothing. priority must be 0..7. */
int sched_apply_io_priority(const struct spec_io_priority *io, struct berr **err);
int sched_check_io_priority(const struct spec_io_priority *io, struct berr **err);

/* process.execCPUAffinity.initial (final false) or .final: pins the calling
 * process to the listed CPUs; absent or empty list: nothing. */
int sched_apply_cpu_affinity(const struct spec_cpu_affinity *a, bool final, struct berr **err);
/* Both lists parse (the runtime checks before it starts anything). */
int sched_check_cpu_affinity(const struct spec_cpu_affinity *a, struct berr **err);

#endif
