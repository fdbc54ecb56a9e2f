/* linux.intelRdt: Intel Resource Director Technology through resctrl. */
#ifndef BERTH_RESCTRL_H
#define BERTH_RESCTRL_H

#include "error.h"
#include "spec.h"

/* With linux.intelRdt set: an error when no resctrl filesystem is mounted at
 * /sys/fs/resctrl (the spec's MUST), and an error too when one is, since
 * berth does not assign containers to resctrl groups yet. */
int resctrl_check(const struct spec_linux *lx, struct berr **err);

#endif
