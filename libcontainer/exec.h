/* exec: a new process in a running (or created) container. */
#ifndef BERTH_EXEC_H
#define BERTH_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct exec_opts {
  const char *root;
  const char *id;
  const char *process_file;     /* --process FILE: a process.json; NULL: from the bundle + flags */
  char **args;                  /* NULL-terminated; used without --process */
  bool tty;
  const char *console_socket;
  int console_sock_fd;          /* as in create_opts: the caller's relay socket, 0: none */
  /* the caller's terminal size, applied to a pty without process.consoleSize before the
   * process runs (a relay copying it afterwards races with the process); 0: none */
  unsigned short console_rows, console_cols;
  const char *pid_file;
  const char *cwd;
  char **env;                   /* NAME=VALUE, appended to the bundle's */
  const char *user;             /* "UID[:GID]" */
  char **additional_gids;
  char **caps;                  /* added to bounding, effective, permitted */
  bool no_new_privs;
  const char *process_label;    /* --process-label: process.selinuxLabel */
  const char *apparmor;         /* --apparmor: process.apparmorProfile */
  int preserve_fds;
  bool ignore_paused;
  char **cgroups;               /* --cgroup [CONTROLLER[,...]:]PATH, NULL-terminated; NULL: none */
};

/* Builds the process description: --process FILE, or the bundle's process
 * with the flags applied. */
int exec_build_process(const struct exec_opts *o, struct spec *bundle,
                       struct spec_process **out, struct berr **err);

/* Starts the process inside the container and returns once it has exec'd;
 * *pid is the process (a child of the caller, which may wait for it). */
int container_exec(const struct exec_opts *o, pid_t *pid, struct berr **err);

#endif
