#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "util.h"

static void hook_exec(const struct spec_hook *h, const char *cwd, int stdin_fd, pid_t parent) {
  char *default_argv[] = {h->path, NULL};
  /* a hook never outlives the berth process that waits for it (killed create or delete) */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
    _exit(127);
  /* its own process group: a timeout kills what the hook started too (sh -c "sleep 10") */
  setpgid(0, 0);
  /* runc's create/run chdir into the bundle first, so its hooks start there; a bundle gone
   * by delete leaves the caller's directory */
  if (cwd != NULL && chdir(cwd) < 0)
    log_debug("hook %s: cannot enter %s, runs in berth's directory", h->path, cwd);
  if (dup2(stdin_fd, 0) < 0)
    _exit(127);
  /* stdin (the state), stdout and stderr only: not what berth inherited from its caller (an
   * engine's sockets, a shell's fds), as runc's hooks (Go's exec.Cmd) */
  fds_cloexec_from(3);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* hooks.env present (even []): exactly that; absent: berth's own environment, as runc
   * (Go's exec.Cmd with a nil Env) gives it, so a hook can rely on PATH */
  execve(h->path, h->args.len ? h->args.items : default_argv, h->env.items ? h->env.items : environ);
  _exit(127);
}

/* Sends the state on a socket (not a pipe) so that a hook that does not read
 * stdin cannot kill us with SIGPIPE. */
static void feed_state(int fd, const char *state_json) {
  size_t len = strlen(state_json);
  while (len > 0) {
    ssize_t n = send(fd, state_json, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    state_json += n;
    len -= n;
  }
  shutdown(fd, SHUT_WR);
}

static int hook_wait(pid_t pid, const struct spec_hook *h, int *status, struct berr **err) {
  cleanup_close int pidfd = pidfd_open_pid(pid);
  if (pidfd >= 0 && h->has_timeout) {
    /* in ms, as an int: a timeout of 2^31-1 s (the spec's int) would overflow */
    int r = pidfd_wait_exit(pidfd, h->timeout > INT_MAX / 1000 ? -1 : h->timeout * 1000);
    if (r == 0) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      return berr_code(err, ETIMEDOUT, "timed out after %d s", h->timeout);
    }
  }
  while (waitpid(pid, status, 0) < 0)
    if (errno != EINTR)
      return berr_errno(err, "wait");
  return 0;
}

static int hook_run_one(const struct spec_hook *h, const char *cwd, const char *state_json,
                        struct berr **err) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return berr_errno(err, "socketpair");
  cleanup_close int ours = sv[0];
  cleanup_close int theirs = sv[1];
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0)
    return berr_errno(err, "fork");
  if (pid == 0)
    hook_exec(h, cwd, theirs, parent);
  close(steal_fd(&theirs));
  feed_state(ours, state_json);
  int status = 0;
  if (hook_wait(pid, h, &status, err) < 0)
    return -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && access(h->path, X_OK) < 0)
    return berr_errno(err, "cannot execute");
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    return berr_set(err, 0, "exited with status %d", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return berr_set(err, 0, "killed by signal %d", WTERMSIG(status));
  return 0;
}

static int hook_run_nth(const struct spec_hook_list *hooks, size_t i, const char *phase,
                        const char *cwd, const char *state_json, struct berr **err) {
  const struct spec_hook *h = &hooks->items[i];
  log_debug("running %s hook %zu: %s", phase, i, h->path);
  if (hook_run_one(h, cwd, state_json, err) < 0)
    return berr_prefix(err, "hooks.%s[%zu] (%s)", phase, i, h->path);
  return 0;
}

int hooks_run(const struct spec_hook_list *hooks, const char *phase, const char *cwd,
              const char *state_json, struct berr **err) {
  for (size_t i = 0; i < hooks->len; i++)
    if (hook_run_nth(hooks, i, phase, cwd, state_json, err) < 0)
      return -1;
  return 0;
}

void hooks_run_warn(const struct spec_hook_list *hooks, const char *phase, const char *cwd,
                    const char *state_json) {
  for (size_t i = 0; i < hooks->len; i++) {
    struct berr *err = NULL;
    if (hook_run_nth(hooks, i, phase, cwd, state_json, &err) < 0)
      log_warn("%s", berr_message(&err));
    berr_free(err);
  }
}
