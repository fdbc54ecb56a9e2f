/* Waiting for a container process in the foreground (run, exec). */
#include "wait.h"

#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

int wait_exit_status(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 1;
}

/* Forwards every signal to the container until its process exits. */
int wait_forwarding(pid_t init, const sigset_t *signals) {
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
        return wait_exit_status(status);
    if (p < 0 && errno == ECHILD)
      return 1;
    /* any other error: the SIGCHLD below may already have been read, and nothing would wake
     * us again (found by tests/inject: waitpid failing at its second call hung run) */
    if (p < 0 && errno != EINTR) {
      log_error("wait for the container process: %m");
      return -1;
    }
    if (p < 0)
      continue;
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

