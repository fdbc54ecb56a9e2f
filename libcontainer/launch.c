#include "launch.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "process.h"
#include "seccomp_filter.h"
#include "util.h"

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

int launch_confine(const struct launch *l, struct berr **err) {
  const struct spec_process *p = l->process;
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
