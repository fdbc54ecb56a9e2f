/* Unit tests for process.c, caps.c and seccomp.c: each case runs in a forked
 * child so uid, capability, rlimit and seccomp changes never leak. The specs
 * are built by hand (no parser dependency); the effects are read back from
 * /proc/self/status and from the syscalls themselves. Needs root. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "error.h"
#include "json.h"
#include "log.h"
#include "process.h"
#include "seccomp_filter.h"
#include "util.h"
#include "spec.h"

#define BIT(c) (UINT64_C(1) << (c))

static char tmpdir[] = "/tmp/berth-test-process-XXXXXX";

/* ---- helpers ---- */

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "# ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  return -1;
}

static int fail_err(const char *what, struct berr *e) {
  return fail("%s: %s (code %d)", what, e && e->msg ? e->msg : "?", e ? e->code : 0);
}

/* The value of "Key:" in /proc/self/status, trimmed, in buf. */
static const char *status_field(const char *key, char *buf, size_t size) {
  cleanup_fclose FILE *f = fopen("/proc/self/status", "re");
  if (f == NULL)
    return NULL;
  char line[512];
  size_t klen = strlen(key);
  while (fgets(line, sizeof(line), f)) {
    if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
      char *v = line + klen + 1;
      while (*v == ' ' || *v == '\t')
        v++;
      size_t n = strlen(v);
      while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == ' '))
        v[--n] = '\0';
      snprintf(buf, size, "%s", v);
      return buf;
    }
  }
  return NULL;
}

static int status_mask(const char *key, uint64_t *out) {
  char buf[64];
  if (status_field(key, buf, sizeof(buf)) == NULL)
    return fail("no %s in /proc/self/status", key);
  *out = strtoull(buf, NULL, 16);
  return 0;
}

static int expect_mask(const char *key, uint64_t want) {
  uint64_t got = 0;
  if (status_mask(key, &got) < 0)
    return -1;
  if (got != want)
    return fail("%s is %016llx, want %016llx", key, (unsigned long long)got,
                (unsigned long long)want);
  return 0;
}

static int expect_status(const char *key, const char *want) {
  char buf[256];
  if (status_field(key, buf, sizeof(buf)) == NULL)
    return fail("no %s in /proc/self/status", key);
  if (strcmp(buf, want) != 0)
    return fail("%s is \"%s\", want \"%s\"", key, buf, want);
  return 0;
}

static int expect_err(struct berr *e, int code, const char *msg) {
  if (e == NULL)
    return fail("expected an error \"%s\", got success", msg);
  if (e->code != code)
    return fail("error \"%s\": code %d, want %d", e->msg, e->code, code);
  if (msg != NULL && strcmp(e->msg, msg) != 0)
    return fail("error message \"%s\", want \"%s\"", e->msg, msg);
  return 0;
}

static bool contains(const char *s, const char *sub) { return s && strstr(s, sub) != NULL; }

/* ---- capabilities and user ---- */

static const uint64_t three_caps = BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE);

static int t_caps_nonroot_three(void) {
  struct spec_capabilities caps = {.has_bounding = true,
                                   .has_effective = true,
                                   .has_inheritable = true,
                                   .has_permitted = true,
                                   .has_ambient = true,
                                   .bounding = three_caps,
                                   .effective = three_caps,
                                   .inheritable = three_caps,
                                   .permitted = three_caps,
                                   .ambient = three_caps};
  struct spec_process p = {.user = {.uid = 1000, .gid = 1000}, .capabilities = &caps};
  cleanup_berr struct berr *e = NULL;
  if (caps_drop_bounding(p.capabilities, &e) < 0)
    return fail_err("caps_drop_bounding", e);
  if (process_switch_user(&p, &e) < 0)
    return fail_err("process_switch_user", e);
  if (caps_apply(p.capabilities, &e) < 0)
    return fail_err("caps_apply", e);
  if (expect_status("Uid", "1000\t1000\t1000\t1000") < 0 ||
      expect_status("Gid", "1000\t1000\t1000\t1000") < 0)
    return -1;
  if (expect_mask("CapEff", three_caps) < 0 || expect_mask("CapPrm", three_caps) < 0 ||
      expect_mask("CapBnd", three_caps) < 0 || expect_mask("CapInh", three_caps) < 0 ||
      expect_mask("CapAmb", three_caps) < 0)
    return -1;
  if (prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) != 0)
    return fail("keepcaps still set after caps_apply");
  return 0;
}

static int t_caps_root_null_keeps(void) {
  uint64_t eff = 0, prm = 0, bnd = 0;
  if (status_mask("CapEff", &eff) < 0 || status_mask("CapPrm", &prm) < 0 ||
      status_mask("CapBnd", &bnd) < 0)
    return -1;
  struct spec_process p = {.user = {.uid = 0, .gid = 0}};
  cleanup_berr struct berr *e = NULL;
  if (caps_drop_bounding(NULL, &e) < 0 || process_switch_user(&p, &e) < 0 ||
      caps_apply(NULL, &e) < 0)
    return fail_err("root, NULL caps", e);
  if (expect_mask("CapEff", eff) < 0 || expect_mask("CapPrm", prm) < 0 ||
      expect_mask("CapBnd", bnd) < 0 || expect_mask("CapAmb", 0) < 0)
    return -1;
  return 0;
}

static int t_caps_nonroot_null_empty(void) {
  uint64_t bnd = 0;
  if (status_mask("CapBnd", &bnd) < 0)
    return -1;
  struct spec_process p = {.user = {.uid = 1000, .gid = 1000}};
  cleanup_berr struct berr *e = NULL;
  if (caps_drop_bounding(NULL, &e) < 0 || process_switch_user(&p, &e) < 0 ||
      caps_apply(NULL, &e) < 0)
    return fail_err("uid 1000, NULL caps", e);
  if (expect_mask("CapEff", 0) < 0 || expect_mask("CapPrm", 0) < 0 ||
      expect_mask("CapInh", 0) < 0 || expect_mask("CapAmb", 0) < 0 ||
      expect_mask("CapBnd", bnd) < 0)
    return -1;
  return 0;
}

/* Ambient caps outside permitted∩inheritable are skipped; absent sets are empty. */
static int t_caps_ambient_subset(void) {
  struct spec_capabilities caps = {.has_bounding = true,
                                   .has_permitted = true,
                                   .has_effective = true,
                                   .has_ambient = true,
                                   .has_inheritable = true,
                                   .bounding = three_caps,
                                   .permitted = three_caps,
                                   .effective = BIT(CAP_KILL),
                                   .inheritable = BIT(CAP_CHOWN),
                                   .ambient = BIT(CAP_CHOWN) | BIT(CAP_KILL)};
  struct spec_process p = {.user = {.uid = 1000, .gid = 1000}, .capabilities = &caps};
  cleanup_berr struct berr *e = NULL;
  if (caps_drop_bounding(&caps, &e) < 0 || process_switch_user(&p, &e) < 0 ||
      caps_apply(&caps, &e) < 0)
    return fail_err("ambient subset", e);
  if (expect_mask("CapAmb", BIT(CAP_CHOWN)) < 0 || expect_mask("CapEff", BIT(CAP_KILL)) < 0)
    return -1;
  return 0;
}

/* A capability above cap_last_cap is skipped, not an error. */
static int t_caps_unknown_cap_skipped(void) {
  uint64_t with_unknown = three_caps | BIT(62);
  struct spec_capabilities caps = {.has_bounding = true,
                                   .bounding = with_unknown,
                                   .has_permitted = true,
                                   .permitted = with_unknown,
                                   .has_effective = true,
                                   .effective = three_caps};
  cleanup_berr struct berr *e = NULL;
  if (caps_drop_bounding(&caps, &e) < 0 || caps_apply(&caps, &e) < 0)
    return fail_err("unknown cap", e);
  return expect_mask("CapBnd", three_caps) < 0 || expect_mask("CapPrm", three_caps) < 0 ? -1 : 0;
}

static int t_umask_077(void) {
  struct spec_process p = {.user = {.uid = 0, .gid = 0, .has_umask = true, .umask = 077}};
  cleanup_berr struct berr *e = NULL;
  if (process_switch_user(&p, &e) < 0)
    return fail_err("process_switch_user", e);
  return expect_status("Umask", "0077");
}

static int t_umask_default(void) {
  umask(0);
  struct spec_process p = {.user = {.uid = 0, .gid = 0}};
  cleanup_berr struct berr *e = NULL;
  if (process_switch_user(&p, &e) < 0)
    return fail_err("process_switch_user", e);
  return expect_status("Umask", "0022");
}

static int t_additional_gids(void) {
  uint32_t gids[] = {10, 20, 30000};
  struct spec_process p = {
      .user = {.uid = 1000, .gid = 1000, .additional_gids = gids, .additional_gids_len = 3}};
  cleanup_berr struct berr *e = NULL;
  if (process_switch_user(&p, &e) < 0)
    return fail_err("process_switch_user", e);
  return expect_status("Groups", "10 20 30000");
}

static int t_no_new_privs(void) {
  struct spec_process p = {.no_new_privileges = false};
  cleanup_berr struct berr *e = NULL;
  if (process_apply_no_new_privs(&p, &e) < 0 || expect_status("NoNewPrivs", "0") < 0)
    return fail_err("nnp false", e);
  p.no_new_privileges = true;
  if (process_apply_no_new_privs(&p, &e) < 0)
    return fail_err("process_apply_no_new_privs", e);
  return expect_status("NoNewPrivs", "1");
}

/* ---- rlimits, oom ---- */

static int t_rlimit_nofile(void) {
  struct spec_rlimit rl = {
      .resource = RLIMIT_NOFILE, .type = "RLIMIT_NOFILE", .soft = 1024, .hard = 1024};
  struct spec_process p = {.rlimits = &rl, .rlimits_len = 1};
  cleanup_berr struct berr *e = NULL;
  if (process_apply_rlimits(&p, &e) < 0)
    return fail_err("process_apply_rlimits", e);
  struct rlimit got;
  getrlimit(RLIMIT_NOFILE, &got);
  if (got.rlim_cur != 1024 || got.rlim_max != 1024)
    return fail("nofile is %llu/%llu, want 1024/1024", (unsigned long long)got.rlim_cur,
                (unsigned long long)got.rlim_max);
  return 0;
}

static int t_rlimit_nofile_clamped(void) {
  struct rlimit before;
  getrlimit(RLIMIT_NOFILE, &before);
  if (before.rlim_max >= 1048576)
    return fail("hard nofile is already %llu: cannot test clamping",
                (unsigned long long)before.rlim_max);
  struct spec_rlimit rl[] = {
      {.resource = RLIMIT_NOFILE, .type = "RLIMIT_NOFILE", .soft = 1048576, .hard = 1048576},
      {.resource = RLIMIT_CORE, .type = "RLIMIT_CORE", .soft = 0, .hard = 0},
  };
  struct spec_process p = {.rlimits = rl, .rlimits_len = 2};
  cleanup_berr struct berr *e = NULL;
  if (process_apply_rlimits(&p, &e) < 0)
    return fail_err("process_apply_rlimits must clamp, not fail", e);
  struct rlimit got;
  getrlimit(RLIMIT_NOFILE, &got);
  if (got.rlim_max != before.rlim_max || got.rlim_cur != before.rlim_max)
    return fail("nofile is %llu/%llu, want %llu/%llu", (unsigned long long)got.rlim_cur,
                (unsigned long long)got.rlim_max, (unsigned long long)before.rlim_max,
                (unsigned long long)before.rlim_max);
  getrlimit(RLIMIT_CORE, &got);
  if (got.rlim_cur != 0 || got.rlim_max != 0)
    return fail("the entry after the clamped one was not applied");
  return 0;
}

static int t_rlimit_soft_above_hard(void) {
  struct spec_rlimit rl = {
      .resource = RLIMIT_NOFILE, .type = "RLIMIT_NOFILE", .soft = 2048, .hard = 1024};
  struct spec_process p = {.rlimits = &rl, .rlimits_len = 1};
  cleanup_berr struct berr *e = NULL;
  if (process_apply_rlimits(&p, &e) == 0)
    return fail("soft > hard accepted");
  if (e->code != EINVAL || !contains(e->msg, "process.rlimits[RLIMIT_NOFILE]"))
    return fail_err("unexpected error", e);
  return 0;
}

static int read_oom(void) {
  char buf[32] = {0};
  cleanup_close int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
    return -10000;
  return atoi(buf);
}

static int t_oom_score_adj(void) {
  struct spec_process p = {.has_oom_score_adj = true, .oom_score_adj = 500};
  cleanup_berr struct berr *e = NULL;
  if (process_apply_oom_score_adj(&p, &e) < 0)
    return fail_err("raise to 500", e);
  if (read_oom() != 500)
    return fail("oom_score_adj is %d, want 500", read_oom());
  p.oom_score_adj = -1000;
  if (process_apply_oom_score_adj(&p, &e) == 0) {
    fprintf(stderr, "# note: lowering to -1000 was allowed here (oom_score_adj_min)\n");
    return read_oom() == -1000 ? 0 : fail("oom_score_adj not -1000");
  }
  if ((e->code != EACCES && e->code != EPERM) || !contains(e->msg, "process.oomScoreAdj"))
    return fail_err("lowering: unexpected error", e);
  return 0;
}

/* ---- executable lookup ---- */

static int t_find_executable(void) {
  cleanup_berr struct berr *e = NULL;
  cleanup_free char *path = NULL;
  char *args[2] = {NULL, NULL};
  struct spec_process p = {.args = {.items = args, .len = 1}};

  args[0] = "/bin/nope";
  if (process_find_executable(&p, &path, &e) == 0 ||
      expect_err(e, ENOENT, "exec: \"/bin/nope\": no such file or directory") < 0)
    return -1;
  if (e->exit_status != 127)
    return fail("/bin/nope: exit_status %d, want 127", e->exit_status);
  berr_cleanup(&e);
  args[0] = "/etc/passwd";
  if (process_find_executable(&p, &path, &e) == 0 ||
      expect_err(e, EACCES, "exec: \"/etc/passwd\": permission denied") < 0)
    return -1;
  if (e->exit_status != 126)
    return fail("/etc/passwd: exit_status %d, want 126", e->exit_status);
  berr_cleanup(&e);
  args[0] = "/etc";
  if (process_find_executable(&p, &path, &e) == 0 ||
      expect_err(e, EACCES, "exec: \"/etc\": permission denied") < 0)
    return -1;
  berr_cleanup(&e);
  args[0] = "sh2-berth-nope";
  if (process_find_executable(&p, &path, &e) == 0 ||
      expect_err(e, ENOENT, "exec: \"sh2-berth-nope\": executable file not found in $PATH") < 0)
    return -1;
  if (e->exit_status != 127)
    return fail("not in $PATH: exit_status %d, want 127", e->exit_status);
  berr_cleanup(&e);

  /* default PATH finds sh on the host */
  args[0] = "sh";
  if (process_find_executable(&p, &path, &e) < 0)
    return fail_err("sh with the default PATH", e);
  if (path[0] != '/' || !contains(path, "/sh") || access(path, X_OK) < 0)
    return fail("sh resolved to \"%s\"", path);
  free(steal_ptr(&path));

  /* PATH from env: a non-executable candidate is passed over */
  char d1[256], d2[256], f1[300], f2[300];
  snprintf(d1, sizeof(d1), "%s/d1", tmpdir);
  snprintf(d2, sizeof(d2), "%s/d2", tmpdir);
  snprintf(f1, sizeof(f1), "%s/tool", d1);
  snprintf(f2, sizeof(f2), "%s/tool", d2);
  mkdir(d1, 0755);
  mkdir(d2, 0755);
  close(open(f1, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  close(open(f2, O_CREAT | O_WRONLY | O_CLOEXEC, 0755));
  char pathenv[700];
  snprintf(pathenv, sizeof(pathenv), "PATH=/nonexistent:%s:%s", d1, d2);
  char *env[] = {"HOME=/", pathenv, NULL};
  p.env = (struct spec_string_list){.items = env, .len = 2};
  args[0] = "tool";
  if (process_find_executable(&p, &path, &e) < 0)
    return fail_err("tool in PATH", e);
  if (strcmp(path, f2) != 0)
    return fail("tool resolved to \"%s\", want \"%s\"", path, f2);
  free(steal_ptr(&path));
  args[0] = "sh";
  if (process_find_executable(&p, &path, &e) == 0 ||
      expect_err(e, ENOENT, "exec: \"sh\": executable file not found in $PATH") < 0)
    return fail("sh must not be found outside the given PATH");
  berr_cleanup(&e);

  /* empty args */
  p.args.len = 0;
  if (process_find_executable(&p, &path, &e) == 0 || e->code != EINVAL || e->exit_status != 0)
    return fail("empty args accepted, or given an exit status other than the default");
  return 0;
}

/* ---- seccomp ---- */

static int load_filter(struct spec_seccomp *sc, int *listener) {
  cleanup_berr struct berr *e = NULL;
  cleanup_seccomp_program struct seccomp_program *prog = NULL;
  if (seccomp_program_build(sc, &prog, &e) < 0)
    return fail_err("seccomp_program_build", e);
  if (prog == NULL)
    return fail("no program built");
  if (seccomp_program_load(prog, listener, &e) < 0)
    return fail_err("seccomp_program_load", e);
  return 0;
}

static int t_seccomp_errno_enosys(void) {
  char *names[] = {"mkdir", "mkdirat", NULL};
  struct spec_seccomp_syscall sys = {.names = {.items = names, .len = 2},
                                     .action = SCMP_ACT_ERRNO(0),
                                     .has_errno_ret = true,
                                     .errno_ret = 38};
  struct spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW, .syscalls = &sys, .syscalls_len = 1};
  int listener = 123;
  if (load_filter(&sc, &listener) < 0)
    return -1;
  if (listener != -1)
    return fail("listener fd %d without a notify rule", listener);
  char dir[300];
  snprintf(dir, sizeof(dir), "%s/forbidden", tmpdir);
  if (mkdir(dir, 0755) == 0)
    return fail("mkdir succeeded under the filter");
  if (errno != ENOSYS)
    return fail("mkdir failed with %d, want ENOSYS (38)", errno);
  return expect_status("Seccomp", "2");
}

static int t_seccomp_default_eperm(void) {
  /* SCMP_ACT_ERRNO without errnoRet is EPERM */
  char *names[] = {"mkdirat", "mkdir", NULL};
  struct spec_seccomp_syscall sys = {.names = {.items = names, .len = 2},
                                     .action = SCMP_ACT_ERRNO(0)};
  struct spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW, .syscalls = &sys, .syscalls_len = 1};
  if (load_filter(&sc, NULL) < 0)
    return -1;
  char dir[300];
  snprintf(dir, sizeof(dir), "%s/forbidden2", tmpdir);
  if (mkdir(dir, 0755) == 0 || errno != EPERM)
    return fail("mkdir: want EPERM, got %s", strerror(errno));
  return 0;
}

static int t_seccomp_args_unknown_name(void) {
  char *names[] = {"berth_no_such_syscall", "personality", NULL};
  struct spec_seccomp_arg eq = {.index = 0, .value = 0xffffffffULL, .op = SCMP_CMP_EQ};
  struct spec_seccomp_arg masked = {
      .index = 0, .value = 0xff00, .value_two = 0x1200, .op = SCMP_CMP_MASKED_EQ};
  char *names2[] = {"personality", NULL};
  struct spec_seccomp_syscall sys[] = {
      {.names = {.items = names, .len = 2},
       .action = SCMP_ACT_ERRNO(0),
       .has_errno_ret = true,
       .errno_ret = EDOM,
       .args = &eq,
       .args_len = 1},
      {.names = {.items = names2, .len = 1},
       .action = SCMP_ACT_ERRNO(0),
       .has_errno_ret = true,
       .errno_ret = ERANGE,
       .args = &masked,
       .args_len = 1},
      /* equal to the default action: skipped, not an error */
      {.names = {.items = names2, .len = 1}, .action = SCMP_ACT_ALLOW},
  };
  uint32_t arches[] = {SCMP_ARCH_NATIVE};
  struct spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW,
                            .syscalls = sys,
                            .syscalls_len = 3,
                            .architectures = arches,
                            .architectures_len = 1};
  if (load_filter(&sc, NULL) < 0)
    return -1;
  errno = 0;
  if (personality(0xffffffff) != -1 || errno != EDOM)
    return fail("personality(0xffffffff): want EDOM, got %s", strerror(errno));
  errno = 0;
  if (personality(0x12ff) != -1 || errno != ERANGE)
    return fail("personality(0x12ff): want ERANGE (MASKED_EQ), got %s", strerror(errno));
  errno = 0;
  if (personality(PER_LINUX) < 0)
    return fail("personality(PER_LINUX) denied: %s", strerror(errno));
  return 0;
}

/* Two conditions on the same argument become two rules (OR), as in runc. */
static int t_seccomp_same_index_split(void) {
  char *names[] = {"personality", NULL};
  struct spec_seccomp_arg args[] = {
      {.index = 0, .value = 0xfffffffeULL, .op = SCMP_CMP_EQ},
      {.index = 0, .value = 0xfffffffdULL, .op = SCMP_CMP_EQ},
  };
  struct spec_seccomp_syscall sys = {.names = {.items = names, .len = 1},
                                     .action = SCMP_ACT_ERRNO(0),
                                     .has_errno_ret = true,
                                     .errno_ret = EDOM,
                                     .args = args,
                                     .args_len = 2};
  struct spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW, .syscalls = &sys, .syscalls_len = 1};
  if (load_filter(&sc, NULL) < 0)
    return -1;
  errno = 0;
  if (personality(0xfffffffe) != -1 || errno != EDOM)
    return fail("personality(0xfffffffe): want EDOM, got %s", strerror(errno));
  errno = 0;
  if (personality(0xfffffffd) != -1 || errno != EDOM)
    return fail("personality(0xfffffffd): want EDOM, got %s", strerror(errno));
  return 0;
}

static int t_seccomp_errno_ret_invalid(void) {
  char *names[] = {"mkdir", NULL};
  struct spec_seccomp_syscall sys = {.names = {.items = names, .len = 1},
                                     .action = SCMP_ACT_KILL_PROCESS,
                                     .has_errno_ret = true,
                                     .errno_ret = 1};
  struct spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW, .syscalls = &sys, .syscalls_len = 1};
  cleanup_berr struct berr *e = NULL;
  struct seccomp_program *prog = NULL;
  if (seccomp_program_build(&sc, &prog, &e) == 0) {
    seccomp_program_free(prog);
    return fail("errnoRet with SCMP_ACT_KILL_PROCESS accepted");
  }
  if (e->code != EINVAL || !contains(e->msg, "linux.seccomp.syscalls[0]"))
    return fail_err("unexpected error", e);
  berr_cleanup(&e);
  if (seccomp_program_build(NULL, &prog, &e) < 0 || prog != NULL)
    return fail("NULL seccomp must give a NULL program");
  return 0;
}

static int t_seccomp_notify_listener(void) {
  char *names[] = {"getppid", NULL};
  struct spec_seccomp_syscall sys = {.names = {.items = names, .len = 1},
                                     .action = SCMP_ACT_NOTIFY};
  struct spec_seccomp sc = {.default_action = SCMP_ACT_ALLOW,
                            .syscalls = &sys,
                            .syscalls_len = 1,
                            .flags = SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG |
                                     SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV};
  cleanup_berr struct berr *e = NULL;
  cleanup_seccomp_program struct seccomp_program *prog = NULL;
  /* a NOTIFY rule without a listenerPath to send the fd to is an error, not a NULL path later */
  if (seccomp_program_build(&sc, &prog, &e) == 0 || prog != NULL ||
      !contains(e->msg, "linux.seccomp.listenerPath"))
    return fail("NOTIFY without listenerPath accepted");
  berr_cleanup(&e);
  sc.listener_path = (char *)"/run/agent.sock";
  if (seccomp_program_build(&sc, &prog, &e) < 0)
    return fail_err("build", e);
  if (!seccomp_program_needs_listener(prog))
    return fail("needs_listener is false with a NOTIFY rule");
  int fd = -1;
  if (seccomp_program_load(prog, &fd, &e) < 0)
    return fail_err("load", e);
  if (fd < 0)
    return fail("no listener fd");
  char link[64], target[128] = {0};
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  if (readlink(link, target, sizeof(target) - 1) < 0 || !contains(target, "seccomp"))
    return fail("listener fd %d is \"%s\"", fd, target);
  if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
    return fail("listener fd is not close-on-exec");
  return 0;
}

static int t_seccomp_send_listener(void) {
  char sockpath[300];
  snprintf(sockpath, sizeof(sockpath), "%s/agent.sock", tmpdir);
  cleanup_close int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(sockpath) >= sizeof(addr.sun_path))
    return fail("socket path too long");
  memcpy(addr.sun_path, sockpath, strlen(sockpath) + 1);
  unlink(sockpath);
  if (bind(srv, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(srv, 1) < 0)
    return fail("agent socket: %s", strerror(errno));

  cleanup_free char *json = seccomp_process_state_json(
      "1.3.0", 4422, "MKNOD=/dev/null",
      "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":4422,"
      "\"bundle\":\"/b\",\"annotations\":{\"k\":\"v\"}}");
  if (json == NULL)
    return fail("seccomp_process_state_json failed");
  const char *want = "{\"ociVersion\":\"1.3.0\",\"fds\":[\"seccompFd\"],\"pid\":4422,"
                     "\"metadata\":\"MKNOD=/dev/null\",\"state\":{\"ociVersion\":\"1.3.0\","
                     "\"id\":\"c1\",\"status\":\"creating\",\"pid\":4422,\"bundle\":\"/b\","
                     "\"annotations\":{\"k\":\"v\"}}}";
  if (strcmp(json, want) != 0)
    return fail("state json\n#   %s\n# want\n#   %s", json, want);
  if (seccomp_process_state_json("1.3.0", 1, NULL, "[1]") != NULL)
    return fail("a non-object state was accepted");

  cleanup_close int payload = open("/dev/null", O_RDONLY | O_CLOEXEC);
  cleanup_berr struct berr *e = NULL;
  cleanup_close int client = -1;
  if (unix_connect(sockpath, &client, &e) < 0)
    return fail_err("unix_connect", e);
  if (seccomp_send_listener(client, json, payload, &e) < 0)
    return fail_err("seccomp_send_listener", e);
  close(steal_fd(&client));
  cleanup_close int conn = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
  char buf[4096] = {0};
  union {
    char b[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
  ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  if (n <= 0)
    return fail("recvmsg: %s", strerror(errno));
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS)
    return fail("no SCM_RIGHTS");
  int got;
  memcpy(&got, CMSG_DATA(c), sizeof(int));
  struct stat a, b;
  fstat(got, &a);
  fstat(payload, &b);
  close(got);
  if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
    return fail("the fd received is not the one sent");
  while ((size_t)n < strlen(json)) {
    ssize_t m = read(conn, buf + n, sizeof(buf) - 1 - (size_t)n);
    if (m <= 0)
      break;
    n += m;
  }
  if (strcmp(buf, json) != 0)
    return fail("payload \"%s\"", buf);
  char extra;
  if (read(conn, &extra, 1) != 0)
    return fail("the connection was not closed after the message");
  return 0;
}

/* ---- runner ---- */

struct tcase {
  const char *name;
  int (*fn)(void);
};

static const struct tcase cases[] = {
    {"caps_nonroot_three_caps", t_caps_nonroot_three},
    {"caps_root_null_keeps_all", t_caps_root_null_keeps},
    {"caps_nonroot_null_empty", t_caps_nonroot_null_empty},
    {"caps_ambient_needs_permitted_and_inheritable", t_caps_ambient_subset},
    {"caps_unknown_cap_skipped", t_caps_unknown_cap_skipped},
    {"umask_077", t_umask_077},
    {"umask_default_0022", t_umask_default},
    {"additional_gids", t_additional_gids},
    {"no_new_privs", t_no_new_privs},
    {"rlimit_nofile_1024", t_rlimit_nofile},
    {"rlimit_nofile_hard_clamped", t_rlimit_nofile_clamped},
    {"rlimit_soft_above_hard_fails", t_rlimit_soft_above_hard},
    {"oom_score_adj", t_oom_score_adj},
    {"find_executable", t_find_executable},
    {"seccomp_errno_ret_enosys", t_seccomp_errno_enosys},
    {"seccomp_errno_default_eperm", t_seccomp_default_eperm},
    {"seccomp_args_and_unknown_name", t_seccomp_args_unknown_name},
    {"seccomp_same_index_split", t_seccomp_same_index_split},
    {"seccomp_errno_ret_invalid_action", t_seccomp_errno_ret_invalid},
    {"seccomp_notify_listener", t_seccomp_notify_listener},
    {"seccomp_send_listener", t_seccomp_send_listener},
};

static bool run_case(const struct tcase *tc) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return false;
  }
  if (pid == 0)
    _exit(tc->fn() == 0 ? 0 : 1);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED(status))
    fprintf(stderr, "# %s: killed by signal %d\n", tc->name, WTERMSIG(status));
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void rm_tmpdir(void) {
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    fprintf(stderr, "# could not remove %s\n", tmpdir);
}

int main(int argc, char **argv) {
  if (getuid() != 0) {
    printf("1..0 # skip: needs root\n");
    return 0;
  }
  log_configure(NULL, LOG_FMT_TEXT, getenv("BERTH_TEST_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_WARN);
  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  int passed = 0, failed = 0;
  size_t n = sizeof(cases) / sizeof(cases[0]);
  for (size_t i = 0; i < n; i++) {
    if (argc > 1 && strstr(cases[i].name, argv[1]) == NULL)
      continue;
    bool ok = run_case(&cases[i]);
    printf("%s - %s\n", ok ? "ok" : "not ok", cases[i].name);
    ok ? passed++ : failed++;
  }
  rm_tmpdir();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
