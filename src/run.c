/* berth run: create + start + wait, forwarding signals; exits with the
 * container's status (128+N when killed by signal N). */
#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "create_flags.h"
#include "log.h"

static int exit_status(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 1;
}

/* Forwards every signal to the container until its process exits. */
static int wait_forwarding(pid_t init, const sigset_t *signals) {
  cleanup_close int sfd = signalfd(-1, signals, SFD_CLOEXEC);
  if (sfd < 0) {
    log_error("signalfd: %m");
    return -1;
  }
  for (;;) {
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0)
      if (p == init)
        return exit_status(status);
    if (p < 0 && errno == ECHILD)
      return 1;
    struct signalfd_siginfo si;
    ssize_t n = read(sfd, &si, sizeof(si));
    if (n < 0 && errno == EINTR)
      continue;
    if (n != sizeof(si))
      return -1;
    if (si.ssi_signo != SIGCHLD)
      kill(init, (int)si.ssi_signo);
  }
}

int cmd_run(const struct global_opts *g, int argc, char **argv) {
  struct create_opts o = {.root = g->root};
  struct run_flags r = {0};
  if (parse_create_flags("run", argc, argv, &o, &r) < 0)
    return 1;
  /* block before create so no signal is lost; the container resets its mask */
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t init;
  cleanup_berr struct berr *err = NULL;
  if (container_create(&o, &init, &err) < 0)
    return cli_fail(err);
  if (container_start(o.root, o.id, &err) < 0) {
    cli_fail(err);
    berr_cleanup(&err);
    container_delete(o.root, o.id, true, NULL);
    return 1;
  }
  if (r.detach)
    return 0;
  int status = wait_forwarding(init, &all);
  if (!r.keep && container_delete(o.root, o.id, true, &err) < 0)
    cli_fail(err);
  return status < 0 ? 1 : status;
}
