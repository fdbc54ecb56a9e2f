/* berth kill: signal the container's process (or all of them). */
#include <getopt.h>
#include <signal.h>
#include <string.h>

#include "cli.h"
#include "container.h"
#include "tables.h"

int cmd_kill(const struct global_opts *g, int argc, char **argv) {
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {NULL, 0, NULL, 0}};
  bool all = false;
  int c;
  cli_reorder_flags(argc, argv, "+a", opts); /* flags after the id, as runc */
  while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
    if (c != 'a')
      return cli_bad_option("kill", argv);
    all = true;
  }
  if (argc - optind < 1)
    return cli_usage_error("kill", "missing container id");
  if (argc - optind > 2)
    return cli_usage_error("kill", "unexpected argument \"%s\"", argv[optind + 2]);
  int sig = KILL_DEFAULT_SIGNAL;
  /* 0 (as runc takes any number): no signal, only the checks that the container is alive */
  if (argc - optind == 2 && strcmp(argv[optind + 1], "0") == 0)
    sig = 0;
  else if (argc - optind == 2 && (sig = signal_from_name(argv[optind + 1])) < 0)
    return cli_usage_error("kill", "unknown signal \"%s\"", argv[optind + 1]);
  cleanup_berr struct berr *err = NULL;
  if (container_kill(g->root, argv[optind], sig, all, &err) < 0)
    return cli_fail(err);
  return 0;
}
