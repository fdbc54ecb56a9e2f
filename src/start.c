/* berth start: release a created container. */
#include <getopt.h>

#include "cli.h"
#include "container.h"

int cmd_start(const struct global_opts *g, int argc, char **argv) {
  if (getopt_long(argc, argv, "+", (const struct option[]){{NULL, 0, NULL, 0}}, NULL) != -1 ||
      cli_expect_args("start", argc, argv, optind, 1))
    return 1;
  cleanup_berr struct berr *err = NULL;
  if (container_start(g->root, argv[optind], &err) < 0)
    return cli_fail(err);
  return 0;
}
