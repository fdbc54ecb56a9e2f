/* Shared by the command files: global options and the command signature. */
#ifndef BERTH_CLI_H
#define BERTH_CLI_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

struct global_opts {
  const char *root;
  const char *log_file;
  const char *log_format;
  bool debug;
  bool systemd_cgroup;
};

typedef int (*command_fn)(const struct global_opts *g, int argc, char **argv);

struct command {
  const char *name;
  command_fn fn;
  const char *usage;   /* "create [options] <container-id>" */
  const char *summary; /* one line */
  const char *options; /* the options block of `berth help NAME` */
};

const struct command *command_lookup(const char *name);

/* Prints the error (through the logger) and returns the exit status for it. */
int cli_fail(struct berr *err);
/* Prints "berth: <cmd>: <msg> (see 'berth help <cmd>')" for usage errors and returns 1; cmd
 * NULL (the global options, the command name) or "help": "berth: [help: ]<msg> (see 'berth
 * help')". */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The usage error for getopt's '?' (unknown option or missing argument); returns 1. */
int cli_bad_option(const char *cmd, char **argv);
/* --preserve-fds N: 0..65536, else a usage error (returns -1). */
int cli_parse_preserve_fds(const char *cmd, const char *s, int *out);
/* --pidfd-socket PATH: connects (*sock -1 when path is NULL), before anything is started. */
int cli_pidfd_socket_open(const char *path, int *sock, struct berr **err);
/* Sends a pidfd of pid over sock (nothing when sock < 0); on failure kills and reaps pid, a
 * child of the caller. */
int cli_pidfd_send(int sock, pid_t pid, struct berr **err);
/* Parses "--help" and "-h" the same way for every command. */
bool cli_wants_help(int argc, char **argv);
int cli_print_help(const char *name);
struct option;
/* Moves the command's own flags (and their values) given after the container id in front of
 * it, as runc's parser accepts them (src/reorder.c); "--" ends the scan. */
void cli_reorder_flags(int argc, char **argv, const char *shortopts, const struct option *opts);
/* Exactly `n` positional arguments after options, else a usage error. */
int cli_expect_args(const char *cmd, int argc, char **argv, int optind_, int n);

int cmd_create(const struct global_opts *g, int argc, char **argv);
int cmd_start(const struct global_opts *g, int argc, char **argv);
int cmd_state(const struct global_opts *g, int argc, char **argv);
int cmd_kill(const struct global_opts *g, int argc, char **argv);
int cmd_delete(const struct global_opts *g, int argc, char **argv);
int cmd_run(const struct global_opts *g, int argc, char **argv);
int cmd_exec(const struct global_opts *g, int argc, char **argv);
int cmd_pause(const struct global_opts *g, int argc, char **argv);
int cmd_resume(const struct global_opts *g, int argc, char **argv);
int cmd_ps(const struct global_opts *g, int argc, char **argv);
int cmd_update(const struct global_opts *g, int argc, char **argv);
int cmd_events(const struct global_opts *g, int argc, char **argv);
int cmd_list(const struct global_opts *g, int argc, char **argv);
int cmd_spec(const struct global_opts *g, int argc, char **argv);
int cmd_checkpoint(const struct global_opts *g, int argc, char **argv);
int cmd_restore(const struct global_opts *g, int argc, char **argv);
int cmd_features(const struct global_opts *g, int argc, char **argv);

#endif
