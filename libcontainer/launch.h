/* The last steps of every container process, the init and each exec:
 * LSM exec labels, scheduling and memory policy (before READY, so create/exec
 * report them), then CPU affinity, identity, capabilities, no_new_privs,
 * seccomp, and execve. */
#ifndef BERTH_LAUNCH_H
#define BERTH_LAUNCH_H

#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct seccomp_program;

struct launch {
  const struct spec_process *process;
  const struct spec_linux *linux;        /* personality, memoryPolicy; may be NULL */
  /* process.execCPUAffinity for an exec; NULL for the init, which the spec exempts */
  const struct spec_cpu_affinity *cpu_affinity;
  const struct seccomp_program *seccomp; /* NULL: no filter */
  int listener_sock;                     /* connected to listenerPath, or -1 */
  const char *listener_state_json;       /* containerProcessState sent with the listener fd */
  int preserve_fds;
  char *const *env;                      /* process_env_build()'s; NULL: process.env as is */
};

/* Runtime side, before anything is started: the values the kernel cannot
 * reject early (ioPriority range, CPU and node lists, personality flags,
 * intelRdt) are checked, and labels the host cannot apply are warned about. */
int launch_validate(const struct spec_process *p, const struct spec_linux *lx, struct berr **err);

/* Resets the signal mask and dispositions inherited from the runtime. */
void launch_reset_signals(void);
/* Still privileged, before READY: the AppArmor profile and SELinux label the
 * next execve switches to (before no_new_privs, which would restrict that
 * transition; a startContainer hook is exec'd under them too, as in runc),
 * process.scheduler, process.ioPriority, linux.personality,
 * linux.memoryPolicy. */
int launch_prepare(const struct launch *l, struct berr **err);
/* After launch_prepare (SELinux labels the keyring with process.selinuxLabel):
 * joins a fresh anonymous session keyring, so the process cannot use the
 * caller's session keys. The init (unless --no-new-keyring) and every exec. */
void launch_new_session_keyring(void);
/* The final CPU affinity first; then order matters:
 * without no_new_privs seccomp needs CAP_SYS_ADMIN, so it is loaded before
 * the capabilities go; with it, as late as possible. */
int launch_confine(const struct launch *l, struct berr **err);
/* Marks every fd above the preserved ones close-on-exec and execs exe;
 * returns only on failure (berr code ENOENT -> exit 127, else 126). */
int launch_exec(const struct launch *l, const char *exe, struct berr **err);

#endif
