/* berth create: parse flags, build the container, leave it parked. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "container.h"
#include "create_flags.h"

int cmd_create(const struct global_opts *g, int argc, char **argv) {
  struct create_opts o = {.root = g->root, .systemd_cgroup = g->systemd_cgroup};
  if (parse_create_flags("create", argc, argv, &o, NULL) < 0)
    return 1;
  pid_t pid;
  cleanup_berr struct berr *err = NULL;
  if (container_create(&o, &pid, &err) < 0)
    return cli_fail(err);
  return 0;
}
