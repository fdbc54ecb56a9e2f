/* Capabilities of the container process (process.capabilities), applied by
 * the container init around the uid switch:
 *   caps_drop_bounding() -> process_switch_user() -> caps_apply()
 * Capability sets are bitmasks of CAP_* numbers (struct spec_capabilities). */
#ifndef BERTH_CAPS_H
#define BERTH_CAPS_H

#include <stdint.h>

#include "error.h"
#include "spec.h"

/* Before the uid switch: drops every capability not in caps->bounding from the
 * bounding set (PR_CAPBSET_DROP; needs CAP_SETPCAP). Capabilities the running
 * kernel does not know (above /proc/sys/kernel/cap_last_cap) are skipped with a
 * warning. NULL caps: the bounding set is left alone. */
int caps_drop_bounding(const struct spec_capabilities *caps, struct berr **err);

/* After the uid switch (done with keepcaps): sets effective, permitted and
 * inheritable with capset(2), clears the ambient set and raises each ambient
 * capability that is in both permitted and inheritable (others are skipped
 * with a warning), then clears keepcaps. A set absent from the config is
 * empty. NULL caps: uid 0 keeps its capabilities, any other uid ends with all
 * sets empty (what the kernel does on a uid change without keepcaps). */
int caps_apply(const struct spec_capabilities *caps, struct berr **err);

/* The highest capability number the running kernel knows (cap_last_cap). */
int caps_last_cap(void);

#endif
