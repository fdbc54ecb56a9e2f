/* berth checkpoint: CRIU dumps a running container (libcontainer/checkpoint.c). */
#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "criu_flags.h"

int cmd_checkpoint(const struct global_opts *g, int argc, char **argv) {
  struct criu_flags f = {0};
  int i = parse_criu_flags("checkpoint", argc, argv, &f, NULL);
  if (i < 0)
    return 1;
  cleanup_berr struct berr *err = NULL;
  if (container_checkpoint(g->root, argv[i], &f, &err) < 0)
    return cli_fail(err);
  return 0;
}
