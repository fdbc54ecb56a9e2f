/* The flags `create` and `run` share. */
#ifndef BERTH_CREATE_FLAGS_H
#define BERTH_CREATE_FLAGS_H

#include <stdbool.h>

#include "container.h"

/* What create and run parse that stays in the command line (not in create_opts). */
struct run_flags {
  bool run; /* set by run: -d and --keep are accepted */
  bool detach;
  bool keep;
  const char *pidfd_socket; /* --pidfd-socket: a pidfd of the container's process goes there */
};

/* Fills o and r. */
int parse_create_flags(const char *cmd, int argc, char **argv, struct create_opts *o,
                       struct run_flags *r);

#endif
