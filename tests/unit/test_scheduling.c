/* Unit tests for the pure logic of scheduling.c, personality.c and numa.c:
 * the "0-3,7" list parser, personality values, memory policy checks. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>

#include "cleanup.h"
#include "error.h"
#include "numa.h"
#include "personality.h"
#include "scheduling.h"

#include "check.h"

#define NBITS 128
#define WORDS (NBITS / (sizeof(unsigned long) * CHAR_BIT))

/* The set bits of mask as a canonical "a,b,c" string. */
static void bits_str(const unsigned long *mask, char *out, size_t size) {
  size_t used = 0;
  out[0] = '\0';
  const size_t lb = sizeof(unsigned long) * CHAR_BIT;
  for (size_t i = 0; i < NBITS; i++)
    if (mask[i / lb] & (1UL << (i % lb)))
      used += snprintf(out + used, size - used, "%s%zu", used ? "," : "", i);
}

static void good(const char *list, const char *want) {
  unsigned long mask[WORDS];
  char got[512];
  cleanup_berr struct berr *err = NULL;
  int r = idlist_parse(list, mask, NBITS, "field", &err);
  CHECK(r == 0, "\"%s\": %s", list, err ? err->msg : "?");
  if (r == 0) {
    bits_str(mask, got, sizeof(got));
    CHECK(strcmp(got, want) == 0, "\"%s\": got \"%s\", want \"%s\"", list, got, want);
  }
}

static void bad(const char *list, const char *needle) {
  unsigned long mask[WORDS];
  cleanup_berr struct berr *err = NULL;
  int r = idlist_parse(list, mask, NBITS, "process.execCPUAffinity.final", &err);
  CHECK(r < 0, "\"%s\" should fail", list);
  if (r < 0) {
    CHECK(strstr(err->msg, "process.execCPUAffinity.final") != NULL, "%s", err->msg);
    CHECK(strstr(err->msg, needle) != NULL, "\"%s\": %s lacks \"%s\"", list, err->msg, needle);
  }
}

static void test_idlist(void) {
  good("", "");
  good("0", "0");
  good("0-3,7", "0,1,2,3,7");
  good("7,0-1", "0,1,7");
  good("5-5", "5");
  good("127", "127");
  good("64-65", "64,65");
  good("1,1,1", "1");
  bad("128", "above the highest supported 127");
  bad("0-", "expected a number");
  bad("-1", "expected a number");
  bad("3-1", "goes down");
  bad("0,", "unexpected");
  bad(",0", "expected a number");
  bad("0,,1", "expected a number at \",1\"");
  bad("0 1", "unexpected");
  bad("x", "expected a number");
  bad("99999999999999999999999", "expected a number");
}

static void test_personality(void) {
  char *flags[] = {"ADDR_NO_RANDOMIZE", "UNAME26", NULL};
  struct spec_personality p = {.domain = PER_LINUX32, .flags = {flags, 2}};
  unsigned long v = 0;
  cleanup_berr struct berr *err = NULL;
  CHECK(personality_value(&p, &v, &err) == 0 && v == (PER_LINUX32 | ADDR_NO_RANDOMIZE | UNAME26),
        "value %#lx", v);
  char *bogus[] = {"UNAME26", "NOPE", NULL};
  struct spec_personality q = {.domain = PER_LINUX, .flags = {bogus, 2}};
  cleanup_berr struct berr *e2 = NULL;
  CHECK(personality_value(&q, &v, &e2) < 0 && strstr(e2->msg, "linux.personality.flags[1]") &&
            strstr(e2->msg, "\"NOPE\""),
        "%s", e2 ? e2->msg : "no error");
}

static void mp_case(int mode, const char *nodes, bool ok, const char *needle) {
  struct spec_memory_policy mp = {.mode = mode, .nodes = (char *)nodes};
  cleanup_berr struct berr *err = NULL;
  int r = numa_check_memory_policy(&mp, &err);
  CHECK((r == 0) == ok, "mode %d nodes %s: %s", mode, nodes ? nodes : "(none)",
        err ? err->msg : "ok");
  if (!ok && r < 0)
    CHECK(strstr(err->msg, needle) != NULL, "%s lacks %s", err->msg, needle);
}

static void test_memory_policy(void) {
  /* MPOL_DEFAULT 0, PREFERRED 1, BIND 2, INTERLEAVE 3, LOCAL 4 */
  mp_case(0, NULL, true, NULL);
  mp_case(4, "", true, NULL);
  mp_case(1, NULL, true, NULL);
  mp_case(2, "0-1", true, NULL);
  mp_case(2, NULL, false, "MPOL_BIND needs at least one node");
  mp_case(3, "", false, "MPOL_INTERLEAVE needs at least one node");
  mp_case(0, "0", false, "MPOL_DEFAULT takes no nodes");
  mp_case(4, "1", false, "MPOL_LOCAL takes no nodes");
  mp_case(2, "1024", false, "linux.memoryPolicy.nodes");
}

static void test_cpu_affinity_check(void) {
  struct spec_cpu_affinity a = {.initial = "0-1", .final = ""};
  cleanup_berr struct berr *err = NULL;
  CHECK(sched_check_cpu_affinity(&a, &err) == 0, "%s", err ? err->msg : "");
  struct spec_cpu_affinity b = {.initial = "1-", .final = "0"};
  cleanup_berr struct berr *e2 = NULL;
  CHECK(sched_check_cpu_affinity(&b, &e2) < 0 &&
            strstr(e2->msg, "process.execCPUAffinity.initial \"1-\""),
        "%s", e2 ? e2->msg : "no error");
  CHECK(sched_check_cpu_affinity(NULL, NULL) == 0, "NULL affinity");
}

int main(void) {
  test_idlist();
  test_personality();
  test_memory_policy();
  test_cpu_affinity_check();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
