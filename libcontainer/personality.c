/* linux.personality: see personality.h. */
#include "personality.h"

#include <errno.h>
#include <string.h>
#include <sys/personality.h>

#include "tables.h"

int personality_value(const struct spec_personality *p, unsigned long *value, struct berr **err) {
  *value = p->domain;
  for (size_t i = 0; i < p->flags.len; i++) {
    unsigned long f;
    if (personality_flag_from_name(p->flags.items[i], &f) < 0)
      return berr_code(err, EINVAL, "linux.personality.flags[%zu]: unknown personality flag \"%s\"",
                       i, p->flags.items[i]);
    *value |= f;
  }
  return 0;
}

int personality_apply(const struct spec_personality *p, struct berr **err) {
  if (p == NULL)
    return 0;
  unsigned long v;
  if (personality_value(p, &v, err) < 0)
    return -1;
  if (personality(v) < 0)
    return berr_errno(err, "linux.personality: personality(%#lx)", v);
  return 0;
}
