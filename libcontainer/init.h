/* What the runtime hands to the container process across clone(): the
 * child gets a copy of this memory, so nothing needs serializing. */
#ifndef BERTH_INIT_H
#define BERTH_INIT_H

#include <stdbool.h>

#include "namespaces.h"
#include "spec.h"

struct seccomp_program;

struct init_ctx {
  const struct spec *spec;
  const char *id;
  const char *bundle;     /* canonical; the init's cwd while it mounts */
  const char *rootfs;     /* canonical host path of root.path */
  int sync_fd;            /* the child's end of the sync socketpair */
  int fifo_fd;            /* O_PATH fd of <state>/exec.fifo */
  int console_fd;         /* connected --console-socket, or -1 */
  int listener_fd;        /* connected seccomp listenerPath socket, or -1 */
  int preserve_fds;       /* listen_fds included: fds 3..3+n-1 stay open */
  int listen_fds;         /* socket activation: the first of them, LISTEN_FDS in process.env */
  bool no_pivot;
  bool no_new_keyring;
  struct ns_plan ns;
  int *idmap_fds;         /* per mounts[i]: idmapped clone of the source, or -1; may be NULL */
  const struct seccomp_program *seccomp;
  bool direct;            /* cloned by the runtime itself, without stage1 (init_direct) */
};

/* The first child: enters/creates namespaces, then clones the container init
 * (as a sibling, CLONE_PARENT) and exits. Never returns. */
__attribute__((noreturn)) void init_stage1(struct init_ctx *c);
/* The init cloned by the runtime straight into all its new namespaces (nothing
 * to join, no time namespace: stage1 would have nothing to do). Never returns. */
__attribute__((noreturn)) void init_direct(struct init_ctx *c);

#endif
