/* linux.memoryPolicy: see numa.h. */
#include "numa.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "scheduling.h"
#include "tables.h"

/* From <linux/mempolicy.h> (an enum there) */
#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_LOCAL 4
#define MAX_NODES 1024

struct nodemask {
  unsigned long bits[MAX_NODES / (sizeof(unsigned long) * CHAR_BIT)];
};

static int parse_nodes(const struct spec_memory_policy *mp, struct nodemask *m, bool *any,
                       struct berr **err) {
  const char *nodes = mp->nodes ? mp->nodes : "";
  if (idlist_parse(nodes, m->bits, MAX_NODES, "linux.memoryPolicy.nodes", err) < 0)
    return -1;
  *any = false;
  for (size_t i = 0; i < sizeof(m->bits) / sizeof(m->bits[0]); i++)
    *any = *any || m->bits[i];
  /* default and local take no nodes; preferred may (none means local); the rest need one */
  if (*any && (mp->mode == MPOL_DEFAULT || mp->mode == MPOL_LOCAL))
    return berr_code(err, EINVAL, "linux.memoryPolicy.nodes \"%s\": %s takes no nodes", nodes,
                     mempolicy_mode_name(mp->mode));
  if (!*any && mp->mode != MPOL_DEFAULT && mp->mode != MPOL_LOCAL && mp->mode != MPOL_PREFERRED)
    return berr_code(err, EINVAL, "linux.memoryPolicy.nodes: %s needs at least one node",
                     mempolicy_mode_name(mp->mode));
  return 0;
}

int numa_check_memory_policy(const struct spec_memory_policy *mp, struct berr **err) {
  struct nodemask m;
  bool any;
  return mp == NULL ? 0 : parse_nodes(mp, &m, &any, err);
}

int numa_apply_memory_policy(const struct spec_memory_policy *mp, struct berr **err) {
  if (mp == NULL)
    return 0;
  struct nodemask m;
  bool any;
  if (parse_nodes(mp, &m, &any, err) < 0)
    return -1;
  /* the kernel reads maxnode - 1 bits */
  if (syscall(SYS_set_mempolicy, mp->mode | (int)mp->flags, any ? m.bits : NULL,
              any ? MAX_NODES + 1 : 0) < 0)
    return berr_errno(err, "linux.memoryPolicy: set_mempolicy %s nodes \"%s\" flags %#x%s",
                      mempolicy_mode_name(mp->mode), mp->nodes ? mp->nodes : "", mp->flags,
                      errno == EINVAL ? " (a node not online, or flags the mode does not take)"
                                      : "");
  return 0;
}
