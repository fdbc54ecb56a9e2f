/* --pidfd-socket PATH (runc 1.2): a pidfd of the new process goes to the unix socket at PATH
 * over SCM_RIGHTS, so a supervisor can wait for it and signal it without pid reuse races. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "util.h"

int cli_pidfd_socket_open(const char *path, int *sock, struct berr **err) {
  *sock = -1;
  if (path == NULL)
    return 0;
  if (unix_connect(path, sock, err) < 0)
    return berr_prefix(err, "--pidfd-socket");
  return 0;
}

int cli_pidfd_send(int sock, pid_t pid, struct berr **err) {
  if (sock < 0)
    return 0;
  cleanup_close int pidfd = pidfd_open_pid(pid);
  if (pidfd < 0)
    berr_errno(err, "--pidfd-socket: pidfd_open %d", (int)pid);
  else if (send_fd(sock, pidfd, "pidfd", 5, err) < 0)
    berr_prefix(err, "--pidfd-socket");
  else
    return 0;
  /* nobody can supervise the process: it does not run on unsupervised */
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  return -1;
}
