/* The container process's identity and limits, applied by the container init
 * just before execve. Suggested order (init.c):
 *   process_apply_rlimits, process_apply_oom_score_adj   (still privileged)
 *   caps_drop_bounding -> process_switch_user -> caps_apply
 *   process_apply_no_new_privs -> seccomp_program_load    (as late as possible)
 *   process_find_executable is best called right after pivot_root and chdir(cwd)
 *   so a missing binary fails at `create`.
 * All return 0, or -1 with *err set (errno kept in (*err)->code). */
#ifndef BERTH_PROCESS_H
#define BERTH_PROCESS_H

#include "error.h"
#include "spec.h"

/* The default $PATH searched when process.env has no PATH. */
#define PROCESS_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Looks up process.args[0] in the current root (call after pivot_root): a name
 * containing '/' is used as is (relative to the cwd); otherwise each entry of
 * PATH from process.env (PROCESS_DEFAULT_PATH if none; an empty entry means
 * the cwd) is tried in order, first regular executable file wins.
 * Errors (runc's wording), with (*err)->code:
 *   ENOENT  exec: "sh2": executable file not found in $PATH
 *   ENOENT  exec: "/bin/nope": no such file or directory
 *   EACCES  exec: "/etc/passwd": permission denied   (not regular or not executable)
 *   EINVAL  process.args: must not be empty
 * *path is malloc'ed. */
int process_find_executable(const struct spec_process *p, char **path, struct berr **err);

/* chdir(process.cwd), resolved inside the current root (call after pivot_root or setns into
 * the container's mount namespace) with pathsafe: symlinks stay inside, magic links
 * (/proc/self/fd/N, /proc/PID/cwd) are refused, so an fd the runtime still holds can never
 * become the container's cwd (CVE-2024-21626). The result is checked with getcwd(): a cwd
 * outside the root ("(unreachable)") is refused too. */
int process_chdir(const struct spec_process *p, struct berr **err);

/* setrlimit for each process.rlimits entry. Raising a hard limit above the
 * current one without CAP_SYS_RESOURCE (EPERM) is not fatal: the limit is
 * clamped to the current hard limit with one warning naming the rlimit. */
int process_apply_rlimits(const struct spec_process *p, struct berr **err);

/* Writes process.oomScoreAdj to /proc/self/oom_score_adj when set. A lower
 * value refused (EACCES/EPERM, no CAP_SYS_RESOURCE) is an error. */
int process_apply_oom_score_adj(const struct spec_process *p, struct berr **err);

/* Switches to process.user: setgroups(additionalGids) (skipped when setgroups
 * is denied in a user namespace and the list is empty), setresgid, then
 * setresuid with PR_SET_KEEPCAPS so caps_apply() can set the final sets (it
 * also clears keepcaps again); then umask (0022 when process.user.umask is
 * absent). */
int process_switch_user(const struct spec_process *p, struct berr **err);

/* prctl(PR_SET_NO_NEW_PRIVS) when process.noNewPrivileges. */
int process_apply_no_new_privs(const struct spec_process *p, struct berr **err);

#endif
