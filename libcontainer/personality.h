/* linux.personality: the execution domain (LINUX, LINUX32) and flags,
 * personality(2) before execve. */
#ifndef BERTH_PERSONALITY_H
#define BERTH_PERSONALITY_H

#include "error.h"
#include "spec.h"

/* The personality value: domain | flags; an unknown flag is an error
 * naming linux.personality.flags[i]. */
int personality_value(const struct spec_personality *p, unsigned long *value, struct berr **err);
/* NULL: nothing. */
int personality_apply(const struct spec_personality *p, struct berr **err);

#endif
