/* berth restore: a new container whose processes CRIU restores (libcontainer/restore.c).
 * With -d berth returns once it runs; without, berth waits for it, forwarding signals, and
 * deletes it when it exits, as run does. */
#include <signal.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "criu_flags.h"
#include "wait.h"

int cmd_restore(const struct global_opts *g, int argc, char **argv) {
  struct criu_flags f = {0};
  struct restore_cli r = {.o = {.root = g->root, .systemd_cgroup = g->systemd_cgroup}};
  int i = parse_criu_flags("restore", argc, argv, &f, &r);
  if (i < 0)
    return 1;
  r.o.id = argv[i];
  cleanup_berr struct berr *err = NULL;
  sigset_t all, old;
  sigfillset(&all);
  if (!r.detach)
    sigprocmask(SIG_BLOCK, &all, &old);
  pid_t pid;
  if (container_restore(&r.o, &f, &pid, &err) < 0)
    return cli_fail(err);
  if (r.detach)
    return 0;
  int status = wait_forwarding(pid, &all);
  if (container_delete(r.o.root, r.o.id, true, &err) < 0)
    cli_fail(err);
  return status < 0 ? 1 : status;
}
