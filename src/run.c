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
#include "wait.h"

int cmd_run(const struct global_opts *g, int argc, char **argv) {
  struct create_opts o = {.root = g->root, .systemd_cgroup = g->systemd_cgroup};
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
