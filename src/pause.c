/* berth pause / berth resume: freeze and thaw every process of a container. */
#include <getopt.h>

#include "cli.h"
#include "container.h"

static int run(const char *cmd, int (*op)(const char *, const char *, struct berr **),
               const struct global_opts *g, int argc, char **argv) {
  if (getopt_long(argc, argv, "+", (const struct option[]){{NULL, 0, NULL, 0}}, NULL) != -1 ||
      cli_expect_args(cmd, argc, argv, optind, 1))
    return 1;
  cleanup_berr struct berr *err = NULL;
  if (op(g->root, argv[optind], &err) < 0)
    return cli_fail(err);
  return 0;
}

int cmd_pause(const struct global_opts *g, int argc, char **argv) {
  return run("pause", container_pause, g, argc, argv);
}

int cmd_resume(const struct global_opts *g, int argc, char **argv) {
  return run("resume", container_resume, g, argc, argv);
}
