/* linux.seccomp: a call newer than every call the profile names fails with ENOSYS, not with
 * the default action (runc's stub, runc 1.0+): glibc falls back (clone3 -> clone, faccessat2 ->
 * faccessat) only on ENOSYS, so a new libc in an old profile's container keeps working. Per
 * architecture of the filter, the stub compares the call number with the highest one the
 * profile names for that architecture; above it, ERRNO(ENOSYS), else on to the libseccomp
 * program. Not added when the default action is permissive (ALLOW, LOG) or already ENOSYS,
 * nor for a profile that names no call. */
#ifndef BERTH_SECCOMP_ENOSYS_H
#define BERTH_SECCOMP_ENOSYS_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "spec.h"

/* def_act: the folded default action (SCMP_ACT_ERRNO(n) with its errno). */
bool seccomp_enosys_wanted(const struct spec_seccomp *sc, uint32_t def_act);
/* Replaces *insns (malloc'ed, *len instructions) with the stub followed by them. */
int seccomp_enosys_prepend(const struct spec_seccomp *sc, struct sock_filter **insns, size_t *len,
                           struct berr **err);

#endif
