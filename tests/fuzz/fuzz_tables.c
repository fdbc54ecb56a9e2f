/* The name tables (mount options, signals, capabilities, rlimits, namespaces, seccomp names,
 * scheduler, ioprio, memory policy, propagation): any string in, and every name a table
 * returns must map back to the same value. */
#include <stdio.h>

#include "fuzz_common.h"
#include "tables.h"

static void check_tables_once(void) {
  static int done;
  if (done)
    return;
  done = 1;
  for (int c = 0; c <= cap_table_last(); c++)
    if (cap_name(c) && cap_from_name(cap_name(c)) != c)
      abort();
  for (int t = 0; t < NS_COUNT; t++)
    if (ns_type_from_name(ns_type_name((enum spec_ns_type)t)) != t)
      abort();
  size_t n;
  const struct mount_option *m = mount_option_table(&n);
  for (size_t i = 0; i < n; i++)
    if (mount_option_lookup(m[i].name) != &m[i])
      abort();
  uint32_t v;
  int op;
  unsigned int f;
  for (size_t i = 0; seccomp_action_name_at(i); i++)
    if (seccomp_action_from_name(seccomp_action_name_at(i), &v) < 0)
      abort();
  for (size_t i = 0; seccomp_operator_name_at(i); i++)
    if (seccomp_operator_from_name(seccomp_operator_name_at(i), &op) < 0)
      abort();
  for (size_t i = 0; seccomp_arch_name_at(i); i++)
    if (seccomp_arch_from_name(seccomp_arch_name_at(i), &v) < 0)
      abort();
  for (size_t i = 0; seccomp_flag_name_at(i); i++)
    if (seccomp_flag_from_name(seccomp_flag_name_at(i), &f) < 0)
      abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  check_tables_once();
  char *s = fuzz_cstr(data, size);
  int c = cap_from_name(s);
  if (c >= 0 && (cap_name(c) == NULL || cap_from_name(cap_name(c)) != c))
    abort();
  int r = rlimit_from_name(s);
  if (r >= 0 && (rlimit_name(r) == NULL || rlimit_from_name(rlimit_name(r)) != r))
    abort();
  int t = ns_type_from_name(s);
  if (t >= 0 && (t >= NS_COUNT || ns_proc_name((enum spec_ns_type)t) == NULL))
    abort();
  int sig = signal_from_name(s);
  if (sig == 0 || sig >= 65)
    abort();
  if (sig > 0) {
    char num[16];
    snprintf(num, sizeof(num), "%d", sig);
    if (signal_from_name(num) != sig)
      abort();
  }
  const struct mount_option *m = mount_option_lookup(s);
  if (m && strcmp(m->name, s) != 0)
    abort();
  unsigned long prop;
  (void)propagation_from_name(s, &prop);
  uint32_t v;
  int op;
  unsigned int f;
  uint64_t f64;
  (void)seccomp_action_from_name(s, &v);
  (void)seccomp_operator_from_name(s, &op);
  (void)seccomp_arch_from_name(s, &v);
  (void)seccomp_flag_from_name(s, &f);
  (void)sched_policy_from_name(s);
  (void)sched_flag_from_name(s, &f64);
  (void)ioprio_class_from_name(s);
  (void)mempolicy_mode_from_name(s);
  (void)mempolicy_flag_from_name(s, &f);
  free(s);
  return 0;
}
