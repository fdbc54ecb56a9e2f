/* Shared by the libFuzzer harnesses: quiet logging, a NUL-terminated copy of the input. */
#ifndef BERTH_FUZZ_COMMON_H
#define BERTH_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static inline void fuzz_drop_log(enum log_level lvl, const char *msg) {
  (void)lvl;
  (void)msg;
}

/* Every log line (debug included, so its formatting runs too) goes nowhere. */
static inline void fuzz_quiet(void) {
  log_set_level(LOG_LVL_DEBUG);
  log_set_forward(fuzz_drop_log);
}

/* A malloc'ed, NUL-terminated copy of the input (exactly size bytes before the NUL, so ASan
 * sees any read past the end). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (s == NULL)
    abort();
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

#endif
