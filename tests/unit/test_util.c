/* Unit tests for util.c's pure helpers. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "namespaces.h"
#include "util.h"

static int passed, failed;

static void check(bool ok, const char *what, const char *detail) {
  printf("%s - %s%s%s\n", ok ? "ok" : "not ok", what, detail[0] ? ": " : "", detail);
  ok ? passed++ : failed++;
}

/* rfc3339_format agrees with gmtime_r (+ the nanoseconds) on the epoch, leap days, century
 * years and a spread of times up to the year 9999. */
static void test_rfc3339(void) {
  static const time_t fixed[] = {0,          59,         86399,      86400,     951782400,
                                 951868800,  4107542400, 4107456000, 946684799, 1709164800,
                                 1782091739, 253402300799};
  char detail[256] = "";
  int wrong = 0, n = 0;
  unsigned seed = 1;
  for (int i = 0; i < 20000; i++) {
    struct timespec ts = {.tv_nsec = 123456789};
    ts.tv_sec = i < (int)(sizeof(fixed) / sizeof(fixed[0]))
                    ? fixed[i]
                    : (time_t)(((unsigned long long)rand_r(&seed) << 20 ^ rand_r(&seed)) %
                               253402300800ULL);
    char got[64], want[64];
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t l = strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(want + l, sizeof(want) - l, ".%09ldZ", ts.tv_nsec);
    rfc3339_format(&ts, got, sizeof(got));
    n++;
    if (strcmp(got, want) != 0 && wrong++ == 0)
      snprintf(detail, sizeof(detail), "%lld: got %s, want %s", (long long)ts.tv_sec, got, want);
  }
  check(wrong == 0 && n == 20000, "rfc3339_format matches gmtime_r on 20000 times", detail);
}

/* A joined user namespace's /proc/<pid>/uid_map text -> the host uid (cgroup ownership). */
static void test_map_text(void) {
  const char *map = "         0     100000      65536\n     65536       5000         10\n";
  uint32_t h = 0;
  check(ns_map_text_to_host(map, 0, &h) && h == 100000, "uid_map: 0 -> 100000", "");
  check(ns_map_text_to_host(map, 5, &h) && h == 100005, "uid_map: 5 -> 100005", "");
  check(ns_map_text_to_host(map, 65537, &h) && h == 5001, "uid_map: second line", "");
  check(!ns_map_text_to_host(map, 65546, &h), "uid_map: past the last range is unmapped", "");
  check(!ns_map_text_to_host("", 0, &h), "uid_map: empty map maps nothing", "");
  check(ns_map_text_to_host("0 0 4294967295\n", 4294967294u, &h) && h == 4294967294u,
        "uid_map: the initial namespace's identity map", "");
}

int main(void) {
  test_rfc3339();
  test_map_text();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
