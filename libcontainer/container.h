/* The library's public face: the OCI lifecycle operations the CLI calls. */
#ifndef BERTH_CONTAINER_H
#define BERTH_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"
#include "state.h"

struct create_opts {
  const char *root;           /* state root */
  const char *id;
  const char *bundle;         /* NULL: current directory */
  const char *pid_file;       /* NULL: none */
  const char *console_socket; /* NULL: none */
  int console_sock_fd;        /* without console_socket: a connected socket (fd > 2) that
                                 receives the pty master, the caller's relay; 0: none.
                                 The caller keeps it (create uses a copy). */
  bool no_pivot;
  bool no_new_keyring;
  int listen_fds;             /* socket activation: fds 3..3+n-1 pass to the container,
                                 which gets LISTEN_FDS=n and LISTEN_PID (as runc) */
  int preserve_fds;           /* the next n fds (3+listen_fds...) pass to the container */
  bool systemd_cgroup;        /* --systemd-cgroup */
  int *fifo_reader;           /* run: when not NULL, receives the exec fifo opened for reading
                                 before the process parks, so it writes its byte and goes on
                                 without waiting for start (container_start_fifo); -1 if not
                                 (always with process.terminal) */
};

/* Builds the container and parks its process on the exec fifo. On success
 * *init_pid is the container process (a child of the caller: callers that
 * do not wait for it, like `create`, just exit). On failure nothing is left. */
int container_create(const struct create_opts *o, pid_t *init_pid, struct berr **err);
/* Releases a created container and runs poststart hooks. */
int container_start(const char *root, const char *id, struct berr **err);
/* container_start with the fifo reader create_opts.fifo_reader gave (closed here; -1: none). */
int container_start_fifo(const char *root, const char *id, int fifo_reader, struct berr **err);
/* sig KILL_DEFAULT_SIGNAL: the config's org.opencontainers.image.stopSignal annotation, else
 * SIGTERM. 0 sends nothing (the liveness check only). */
#define KILL_DEFAULT_SIGNAL (-1)
int container_kill(const char *root, const char *id, int sig, bool all, struct berr **err);
/* force: kill a running container first. */
int container_delete(const char *root, const char *id, bool force, struct berr **err);

/* pause: freezes every process of a running container (state "paused"); resume thaws a paused
 * one. Both fail clearly in any other state or without a cgroup. */
int container_pause(const char *root, const char *id, struct berr **err);
int container_resume(const char *root, const char *id, struct berr **err);

/* ps: the pids of a live container's cgroup (and sub-cgroups); free(*pids). */
int container_pids(const char *root, const char *id, pid_t **pids, size_t *n, struct berr **err);
/* update: applies res to a live container's cgroup (device rules are not updated). */
int container_update(const char *root, const char *id, const struct spec_resources *res,
                     struct berr **err);
/* update --l3-cache-schema / --mem-bw-schema: writes the lines (NULL: not given) to the
 * schemata of a live container's resctrl group; an error for a container without
 * linux.intelRdt. */
int container_update_intel_rdt(const char *root, const char *id, const char *l3_cache_schema,
                               const char *mem_bw_schema, struct berr **err);
/* events: one stats event {"type":"stats","id":...,"data":{...}} of a live container in *json
 * (malloc'ed) and, when oom_kills is not NULL, the cgroup's oom_kill counter. A stopped
 * container fails with code ESRCH. */
int container_stats(const char *root, const char *id, char **json, uint64_t *oom_kills,
                    struct berr **err);

struct criu_flags;
/* checkpoint: CRIU dumps the container into f->image_path (criu.h); it is then removed, unless
 * --leave-running or --pre-dump. A failed dump leaves it running and unchanged. */
int container_checkpoint(const char *root, const char *id, const struct criu_flags *f,
                         struct berr **err);
/* restore: a new container `id` from the bundle's config.json, its processes restored by CRIU
 * from f->image_path (see restore.c). *pid: the restored init, a child of the caller. */
struct restore_opts {
  const char *root, *id, *bundle, *console_socket, *pid_file;
  bool systemd_cgroup, no_pivot;
};
int container_restore(const struct restore_opts *o, const struct criu_flags *f, pid_t *pid,
                      struct berr **err);
/* The image (or work) directory: made (0700) when create and missing, opened. */
int criu_open_dir(const char *path, const char *flag, bool create, int *fd, struct berr **err);

/* The config.json the container was created from (the copy in its state dir; the bundle's
 * for a container created without one). The _at variant takes the open state dir. */
int container_spec(const char *root, const struct container_state *st, struct spec **out,
                   struct berr **err);
int container_spec_at(int dirfd, const struct container_state *st, struct spec **out,
                      struct berr **err);

/* Reads the state and its live status (the state dir is locked while reading). */
int container_load(const char *root, const char *id, struct container_state **st,
                   enum container_status *status, struct berr **err);

/* Calls fn for each container under root, sorted by id. Half-created ones are skipped. */
typedef void (*container_visit_fn)(const struct container_state *st, enum container_status status,
                                   void *data);
int container_list(const char *root, container_visit_fn fn, void *data, struct berr **err);

#endif
