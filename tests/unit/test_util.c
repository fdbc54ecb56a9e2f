/* Unit tests for util.c's pure helpers. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "namespaces.h"
#include "state.h"
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

/* container_dir_name: an id that fits a file name is its own name; a longer one (up to 1024
 * bytes) gets a "_" name of at most 255 bytes that no id can have, distinct for ids that share
 * their first 200 bytes. */
static void test_container_dir_name(void) {
  char a[1025], b[1025], na[CONTAINER_DIR_NAME_MAX], nb[CONTAINER_DIR_NAME_MAX];
  char detail[300] = "";
  container_dir_name("web-1.x", na);
  check(strcmp(na, "web-1.x") == 0, "dir name: a short id is its own name", na);
  memset(a, 'x', 255);
  a[255] = '\0';
  container_dir_name(a, na);
  check(strcmp(na, a) == 0, "dir name: 255 bytes are kept", "");
  memset(a, 'x', 1024);
  a[1024] = '\0';
  memcpy(b, a, sizeof(a));
  b[1023] = 'y';
  container_dir_name(a, na);
  container_dir_name(b, nb);
  snprintf(detail, sizeof(detail), "%zu bytes, \"%.20s...%s\"", strlen(na), na,
           na + strlen(na) - 17);
  check(na[0] == '_' && strlen(na) <= 255 && strncmp(na + 1, a, 200) == 0 &&
            container_id_validate(na, NULL) < 0,
        "dir name: a 1024-byte id gets a hashed name no id can have", detail);
  check(strcmp(na, nb) != 0, "dir name: ids differing in their last byte differ", "");
  a[256] = '\0';
  container_dir_name(a, nb);
  check(strcmp(na, nb) != 0 && nb[0] == '_', "dir name: a 256-byte id is hashed", nb + 200);
}

int main(void) {
  test_container_dir_name();
  test_rfc3339();
  test_map_text();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
