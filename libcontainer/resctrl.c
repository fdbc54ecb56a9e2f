/* linux.intelRdt: see resctrl.h. */
#include "resctrl.h"

#include <errno.h>
#include <sys/statfs.h>

#define RESCTRL_ROOT "/sys/fs/resctrl"
#define RDTGROUP_SUPER_MAGIC 0x7655821

int resctrl_check(const struct spec_linux *lx, struct berr **err) {
  if (lx == NULL || lx->intel_rdt == NULL)
    return 0;
  struct statfs fs;
  if (statfs(RESCTRL_ROOT, &fs) < 0 || fs.f_type != RDTGROUP_SUPER_MAGIC)
    return berr_code(err, ENOENT,
                     "linux.intelRdt: no resctrl filesystem is mounted at " RESCTRL_ROOT
                     " (it needs a CPU with Intel RDT or AMD PQoS and `mount -t resctrl "
                     "resctrl " RESCTRL_ROOT "`)");
  return berr_code(err, ENOTSUP, "linux.intelRdt: resctrl groups are not supported by berth yet");
}
