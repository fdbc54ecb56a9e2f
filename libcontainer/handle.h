/* An opened, locked container with its state and live status: the small "context" every
 * operation on an existing container (ops.c, ops_cgroup.c) works on. Private to libcontainer. */
#ifndef BERTH_HANDLE_H
#define BERTH_HANDLE_H

#include "error.h"
#include "state.h"

struct handle {
  int rootfd;
  int dirfd; /* holds the container's lock while open */
  struct container_state *st;
  enum container_status status;
};
#define HANDLE_INIT {.rootfd = -1, .dirfd = -1}

/* Opens <root>/<id>, locks it, reads state.json and derives the status. */
int handle_open(const char *root, const char *id, struct handle *h, struct berr **err);
/* Kills what is left of the container and removes it as delete does (cgroup, state directory,
 * poststop hooks): checkpoint, once CRIU has dumped and stopped it. */
int handle_destroy(struct handle *h, struct berr **err);
void handle_release(struct handle *h);
#define cleanup_handle __attribute__((cleanup(handle_release)))

#endif
