/* The environment of the container process (the init and each exec), built
 * inside the container's root just before the process starts. */
#ifndef BERTH_PROCESS_ENV_H
#define BERTH_PROCESS_ENV_H

#include <stdint.h>

#include "error.h"
#include "spec.h"

/* process.env as runc passes it: an entry without "=" or with an empty name is an error
 * (EINVAL, naming process.env[i]); a name given more than once keeps its first place and its
 * last value; HOME is added when absent: the home of process.user.uid in the container's
 * /etc/passwd, "/" without an entry; with listen_fds > 0 (socket activation, the caller's
 * LISTEN_FDS) LISTEN_FDS=n and LISTEN_PID=<getpid()> are set. *out is a malloc'ed
 * NULL-terminated vector (cleanup_strv). */
int process_env_build(const struct spec_process *p, int listen_fds, char ***out,
                      struct berr **err);

#endif
