#ifndef BERTH_WAIT_H
#define BERTH_WAIT_H

#include <signal.h>
#include <sys/types.h>

/* Forwards every signal in `signals` (blocked by the caller) to pid until it
 * exits; returns its exit status (128+N when killed by signal N), -1 on error. */
int wait_forwarding(pid_t pid, const sigset_t *signals);
/* A waitpid status as an exit status: the code, or 128+N when killed by signal N. */
int wait_exit_status(int status);

#endif
