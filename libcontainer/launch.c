#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "log.h"
#include "lsm.h"
#include "numa.h"
#include "personality.h"
#include "process.h"
#include "scheduling.h"
#include "seccomp_filter.h"
#include "util.h"

int launch_validate(const struct spec_process *p, const struct spec_linux *lx, struct berr **err) {
  unsigned long persona;
  if (sched_check_io_priority(p->io_priority, err) < 0 ||
      sched_check_cpu_affinity(p->exec_cpu_affinity, err) < 0)
    return -1;
  if (lx && (numa_check_memory_policy(lx->memory_policy, err) < 0 ||
             (lx->personality && personality_value(lx->personality, &persona, err) < 0)))
    return -1;
  lsm_warn_unavailable(p, lx);
  return 0;
}

/* The signals whose disposition is not SIG_DFL (SigIgn | SigCgt of
 * /proc/self/status), so only those are reset: berth installs no handler, and
 * a 64-syscall loop for nothing is the usual case. All of them when unknown. */
static uint64_t non_default_signals(void) {
  char buf[2048];
  ssize_t n = -1;
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
  }
  if (n <= 0)
    return ~0ULL;
  buf[n] = '\0';
  const char *ign = strstr(buf, "\nSigIgn:"), *cgt = strstr(buf, "\nSigCgt:");
  if (ign == NULL || cgt == NULL)
    return ~0ULL;
  return strtoull(ign + 8, NULL, 16) | strtoull(cgt + 8, NULL, 16);
}

void launch_reset_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  uint64_t set = non_default_signals();
  for (int s = 1; s < NSIG && s <= 64; s++)
    if (set & (1ULL << (s - 1)))
      signal(s, SIG_DFL);
}

static int load_seccomp(const struct launch *l, struct berr **err) {
  cleanup_close int listener = -1;
  if (seccomp_program_load(l->seccomp, &listener, err) < 0)
    return -1;
  if (listener < 0)
    return 0;
  if (l->listener_sock < 0 || l->listener_state_json == NULL)
    return berr_code(err, EINVAL, "linux.seccomp: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
  return seccomp_send_listener(l->listener_sock, l->listener_state_json, listener, err);
}

int launch_prepare(const struct launch *l, struct berr **err) {
  const struct spec_process *p = l->process;
  /* the labels take effect at execve: set here, an unknown profile or label fails create */
  if (lsm_apply_exec_labels(p, err) < 0 || sched_apply_scheduler(p->scheduler, err) < 0 ||
      sched_apply_io_priority(p->io_priority, err) < 0)
    return -1;
  if (l->linux && (personality_apply(l->linux->personality, err) < 0 ||
                   numa_apply_memory_policy(l->linux->memory_policy, err) < 0))
    return -1;
  return 0;
}

void launch_new_session_keyring(void) {
  /* KEYCTL_JOIN_SESSION_KEYRING = 1 with no name: a fresh anonymous keyring */
  if (syscall(SYS_keyctl, 1, NULL) < 0 && errno != ENOSYS)
    log_debug("new session keyring: %s", strerror(errno));
}

int launch_confine(const struct launch *l, struct berr **err) {
  const struct spec_process *p = l->process;
  if (sched_apply_cpu_affinity(l->cpu_affinity, true, err) < 0)
    return -1;
  if (l->seccomp && !p->no_new_privileges && load_seccomp(l, err) < 0)
    return -1;
  if (caps_drop_bounding(p->capabilities, err) < 0 || process_switch_user(p, err) < 0 ||
      caps_apply(p->capabilities, err) < 0 || process_apply_no_new_privs(p, err) < 0)
    return -1;
  if (l->seccomp && p->no_new_privileges && load_seccomp(l, err) < 0)
    return -1;
  return 0;
}

int launch_exec(const struct launch *l, const char *exe, struct berr **err) {
  static char *const empty_env[] = {NULL};
  const struct spec_process *p = l->process;
  fds_cloexec_from(3 + l->preserve_fds);
  char *const *env = l->env ? l->env : p->env.items ? p->env.items : empty_env;
  execve(exe, p->args.items, env);
  return berr_errno(err, "exec %s", exe);
}
