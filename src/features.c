/* berth features: the OCI features document (what berth parses and supports). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "runtime_features.h"
#include "log.h"

int cmd_features(const struct global_opts *g, int argc, char **argv) {
  if (argc > 1)
    return cli_usage_error("features", argv[1][0] == '-' ? "invalid option \"%s\""
                                                         : "unexpected argument \"%s\"",
                           argv[1]);
  cleanup_free char *text = features_json();
  if (text == NULL) {
    log_error("features: %s", strerror(errno));
    return 1;
  }
  size_t len = strlen(text);
  fputs(text, stdout);
  if (len == 0 || text[len - 1] != '\n')
    putchar('\n');
  return 0;
}
