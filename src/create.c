/* berth create: parse flags, build the container, leave it parked. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "create_flags.h"

int cmd_create(const struct global_opts *g, int argc, char **argv) {
  struct create_opts o = {.root = g->root, .systemd_cgroup = g->systemd_cgroup};
  struct run_flags r = {0};
  if (parse_create_flags("create", argc, argv, &o, &r) < 0)
    return 1;
  pid_t pid;
  cleanup_berr struct berr *err = NULL;
  cleanup_close int pidfd_sock = -1;
  if (cli_pidfd_socket_open(r.pidfd_socket, &pidfd_sock, &err) < 0 ||
      container_create(&o, &pid, &err) < 0)
    return cli_fail(err);
  if (cli_pidfd_send(pidfd_sock, pid, &err) < 0) {
    container_delete(o.root, o.id, true, NULL);
    return cli_fail(err);
  }
  return 0;
}
