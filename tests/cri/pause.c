/* The pod sandbox's process for tests/cri (a pause image of our own): it holds the pod's
 * namespaces, reaps the children that are reparented to it (it is the pod's pid 1 with
 * shareProcessNamespace) and exits 0 on SIGTERM or SIGINT. Built static, alone in its image. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  if (getpid() != 1)
    fprintf(stderr, "pause: not pid 1, still waiting\n");
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0)
      continue;
    if (sig == SIGCHLD) {
      while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
      continue;
    }
    return 0;
  }
}
