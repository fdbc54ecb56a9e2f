/* berth state: the OCI state of one container as JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "container.h"

int cmd_state(const struct global_opts *g, int argc, char **argv) {
  if (getopt_long(argc, argv, "+", (const struct option[]){{NULL, 0, NULL, 0}}, NULL) != -1 ||
      cli_expect_args("state", argc, argv, optind, 1))
    return 1;
  cleanup_berr struct berr *err = NULL;
  cleanup_state struct container_state *st = NULL;
  enum container_status status;
  if (container_load(g->root, argv[optind], &st, &status, &err) < 0)
    return cli_fail(err);
  char *json = state_to_json(st, status, true);
  if (json == NULL)
    return 1;
  printf("%s\n", json);
  free(json);
  return 0;
}
