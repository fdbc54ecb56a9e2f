/* linux.sysctl: only keys that belong to a namespace the container owns. */
#ifndef BERTH_SYSCTL_H
#define BERTH_SYSCTL_H

#include "error.h"
#include "spec.h"

/* Runtime side, before anything is created: every key is well-formed and
 * namespaced by a namespace the container creates. */
int sysctl_validate(const struct spec *spec, struct berr **err);
/* Container side, after pivot_root: writes each key under /proc/sys (checked to be procfs). */
int sysctl_apply(const struct spec *spec, struct berr **err);

#endif
