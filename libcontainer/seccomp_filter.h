/* linux.seccomp: the filter is compiled to BPF in the runtime (parent) before
 * the container init is cloned, and loaded by the init as late as possible
 * (after the uid switch and capabilities, right before execve).
 *
 * Note on loading: seccomp(SECCOMP_SET_MODE_FILTER) needs no_new_privs or
 * CAP_SYS_ADMIN in the current user namespace; when process.noNewPrivileges is
 * false the init must load the filter while it still holds CAP_SYS_ADMIN
 * (before caps_apply drops it), as runc does.
 *
 * Name clash: libcontainer/ is on the include path, so this file shadows
 * libseccomp's <seccomp.h> (tables.c includes that one). It therefore pulls
 * libseccomp's header in with #include_next, outside the include guard: an
 * include of either name yields both berth's API and libseccomp's. */
#ifndef BERTH_SECCOMP_FILTER_H
#define BERTH_SECCOMP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct seccomp_program; /* opaque: a BPF program + load flags, built in the parent */

/* Builds the BPF program from linux.seccomp: default action (+ defaultErrnoRet),
 * architectures, syscalls[] with action/errnoRet/args (every operator; several
 * args on the same index become one rule per arg, as runc and crun do).
 * SCMP_ACT_ERRNO / SCMP_ACT_TRACE without errnoRet return EPERM. Syscall names
 * libseccomp does not know are skipped (log_debug); rules whose action equals
 * the default action are skipped. Keeps linux.seccomp.flags and whether any
 * rule is SCMP_ACT_NOTIFY. NULL sc: *out = NULL and 0. */
int seccomp_program_build(const struct spec_seccomp *sc, struct seccomp_program **out,
                          struct berr **err);

/* In the child: seccomp(SECCOMP_SET_MODE_FILTER, flags [| NEW_LISTENER], prog).
 * Flags the kernel rejects (EINVAL) are dropped one by one with log_debug.
 * *listener_fd (may be NULL when the program has no notify rule) gets the
 * notify fd (close-on-exec) or -1. NULL prog: nothing, *listener_fd = -1. */
int seccomp_program_load(const struct seccomp_program *prog, int *listener_fd, struct berr **err);

/* True when some rule is SCMP_ACT_NOTIFY: loading yields a listener fd. */
bool seccomp_program_needs_listener(const struct seccomp_program *prog);
/* Number of BPF instructions (for tests and debug logs). */
size_t seccomp_program_len(const struct seccomp_program *prog);
void seccomp_program_free(struct seccomp_program *prog);
void seccomp_program_cleanup(struct seccomp_program **prog);
#define cleanup_seccomp_program __attribute__((cleanup(seccomp_program_cleanup)))

/* The "containerProcessState" object of config-linux.md:
 *   {"ociVersion", "fds": ["seccompFd"], "pid", "metadata" (omitted when NULL),
 *    "state": <state_json copied as is>}
 * state_json is the container's state object as JSON text (state.c's output);
 * it is re-parsed and re-emitted. Returns a malloc'ed string, or NULL with
 * errno set (EINVAL: state_json is not a JSON object). */
char *seccomp_process_state_json(const char *oci_version, pid_t pid, const char *metadata,
                                 const char *state_json);

/* Sends the process state JSON with the listener fd (SCM_RIGHTS) over sock,
 * a unix stream socket the runtime connected to linux.seccomp.listenerPath
 * before the container was cloned (the path is not reachable after pivot_root). */
int seccomp_send_listener(int sock, const char *process_state_json, int listener_fd,
                          struct berr **err);

#endif
