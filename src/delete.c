/* berth delete: remove a stopped (or created) container. */
#include <getopt.h>

#include "cli.h"
#include "container.h"

int cmd_delete(const struct global_opts *g, int argc, char **argv) {
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
  bool force = false;
  int c;
  cli_reorder_flags(argc, argv, "+f", opts); /* flags after the id, as runc */
  while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
    if (c != 'f')
      return cli_bad_option("delete", argv);
    force = true;
  }
  if (cli_expect_args("delete", argc, argv, optind, 1))
    return 1;
  cleanup_berr struct berr *err = NULL;
  if (container_delete(g->root, argv[optind], force, &err) < 0)
    return cli_fail(err);
  return 0;
}
