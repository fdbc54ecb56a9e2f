/* The flags `checkpoint` and `restore` share (runc's), parsed into struct criu_flags. */
#ifndef BERTH_CRIU_FLAGS_H
#define BERTH_CRIU_FLAGS_H

#include <stdbool.h>

#include "container.h"
#include "criu.h"

struct restore_cli {
  struct restore_opts o;
  bool detach;
};

/* restore NULL: checkpoint's flags; else restore's. Returns the index of the container id
 * argument, -1 after a usage error (printed). */
int parse_criu_flags(const char *cmd, int argc, char **argv, struct criu_flags *f,
                     struct restore_cli *restore);

#endif
