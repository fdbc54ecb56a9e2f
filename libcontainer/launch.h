/* The last steps of every container process, the init and each exec:
 * identity, capabilities, no_new_privs, seccomp, then execve. */
#ifndef BERTH_LAUNCH_H
#define BERTH_LAUNCH_H

#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct seccomp_program;

struct launch {
  const struct spec_process *process;
  const struct seccomp_program *seccomp; /* NULL: no filter */
  int listener_sock;                     /* connected to listenerPath, or -1 */
  const char *listener_state_json;       /* containerProcessState sent with the listener fd */
  int preserve_fds;
};

/* Resets the signal mask and dispositions inherited from the runtime. */
void launch_reset_signals(void);
/* Order matters: without no_new_privs seccomp needs CAP_SYS_ADMIN, so it is
 * loaded before the capabilities go; with it, as late as possible. */
int launch_confine(const struct launch *l, struct berr **err);
/* Marks every fd above the preserved ones close-on-exec and execs exe;
 * returns only on failure (berr code ENOENT -> exit 127, else 126). */
int launch_exec(const struct launch *l, const char *exe, struct berr **err);

#endif
