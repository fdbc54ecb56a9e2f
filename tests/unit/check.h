/* The unit tests' shared counter and CHECK(cond, fmt, ...): counts, and on failure prints
 * "# FAIL file:line: message" (the summary line is each test's own). */
#ifndef BERTH_UNIT_CHECK_H
#define BERTH_UNIT_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (cond) {                                                                                    \
      passed++;                                                                                    \
    } else {                                                                                       \
      failed++;                                                                                    \
      printf("# FAIL %s:%d: ", __FILE__, __LINE__);                                                \
      printf(__VA_ARGS__);                                                                         \
      printf("\n");                                                                                \
    }                                                                                              \
  } while (0)

#endif
