/* linux.memoryPolicy: the NUMA memory policy of the container process,
 * set_mempolicy(2) before execve (inherited across fork and exec). */
#ifndef BERTH_NUMA_H
#define BERTH_NUMA_H

#include "error.h"
#include "spec.h"

/* The mode/nodes combination is valid and nodes parses (runtime, before start). */
int numa_check_memory_policy(const struct spec_memory_policy *mp, struct berr **err);
/* set_mempolicy(mode | flags, nodes); NULL: nothing. */
int numa_apply_memory_policy(const struct spec_memory_policy *mp, struct berr **err);

#endif
