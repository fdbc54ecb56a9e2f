/* The flags `create` and `run` share. */
#ifndef BERTH_CREATE_FLAGS_H
#define BERTH_CREATE_FLAGS_H

#include <stdbool.h>

#include "container.h"

struct run_flags {
  bool detach;
  bool keep;
};

/* Fills o (and run flags when r is not NULL: run's extra flags are accepted). */
int parse_create_flags(const char *cmd, int argc, char **argv, struct create_opts *o,
                       struct run_flags *r);

#endif
