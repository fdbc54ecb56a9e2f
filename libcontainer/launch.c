#include "launch.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "lsm.h"
#include "numa.h"
#include "personality.h"
#include "process.h"
#include "resctrl.h"
#include "scheduling.h"
#include "seccomp_filter.h"
#include "util.h"

int launch_validate(const struct spec_process *p, const struct spec_linux *lx, struct berr **err) {
  unsigned long persona;
  if (sched_check_io_priority(p->io_priority, err) < 0 ||
      sched_check_cpu_affinity(p->exec_cpu_affinity, err) < 0)
    return -1;
  if (lx && (numa_check_memory_policy(lx->memory_policy, err) < 0 ||
             (lx->personality && personality_value(lx->personality, &persona, err) < 0) ||
             resctrl_check(lx, err) < 0))
    return -1;
  lsm_warn_unavailable(p, lx);
  return 0;
}

void launch_reset_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int s = 1; s < NSIG; s++)
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
  if (sched_apply_scheduler(p->scheduler, err) < 0 ||
      sched_apply_io_priority(p->io_priority, err) < 0)
    return -1;
  if (l->linux && (personality_apply(l->linux->personality, err) < 0 ||
                   numa_apply_memory_policy(l->linux->memory_policy, err) < 0))
    return -1;
  return 0;
}

int launch_confine(const struct launch *l, struct berr **err) {
  const struct spec_process *p = l->process;
  /* labels before no_new_privs, which would restrict the exec transition */
  if (lsm_apply_exec_labels(p, err) < 0 ||
      sched_apply_cpu_affinity(l->cpu_affinity, true, err) < 0)
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
  execve(exe, p->args.items, p->env.items ? p->env.items : empty_env);
  return berr_errno(err, "exec %s", exe);
}
