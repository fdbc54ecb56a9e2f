/* berth exec: run a new process in a container. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "exec.h"
#include "log.h"
#include "tty_relay.h"
#include "util.h"
#include "wait.h"

enum {
  OPT_PROCESS = 256, OPT_CONSOLE, OPT_PID_FILE, OPT_CWD, OPT_CAP, OPT_NNP, OPT_PRESERVE,
  OPT_LABEL, OPT_APPARMOR, OPT_IGNORE_PAUSED, OPT_CGROUP, OPT_PIDFD_SOCKET
};

/* A growable NULL-terminated vector of borrowed strings (argv entries). */
struct strv {
  char **v;
  size_t n;
};

static int strv_push(struct strv *s, char *item) {
  char **v = realloc(s->v, (s->n + 2) * sizeof(*v));
  if (v == NULL)
    return -1;
  v[s->n++] = item;
  v[s->n] = NULL;
  s->v = v;
  return 0;
}

struct exec_flags {
  struct exec_opts o;
  struct strv env, gids, caps, cgroups;
  const char *pidfd_socket;
  bool detach;
};

/* exec's exit status for an error on the runtime's side (no such container, a pid file or
 * console socket that cannot be used, a bad process.json...): 255, as runc's, so an engine
 * tells it from the process's own status; a missing or non-executable program keeps 127/126
 * (docs/errors.md). Usage errors (an unknown flag, a flag's bad value) stay 1, as runc's. */
static int exec_fail(struct berr *err) {
  int status = cli_fail(err);
  return err && err->exit_status ? status : 255;
}

/* -g's values are numbers (runc's flag parser refuses anything else: a usage error) */
static int split_gids(struct strv *gids, char *arg) {
  for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
    if (tok[strspn(tok, "0123456789")] != '\0') {
      cli_usage_error("exec", "--additional-gids: invalid gid \"%s\"", tok);
      return -2;
    }
    if (strv_push(gids, tok) < 0)
      return -1;
  }
  return 0;
}

/* 0, or -1 for an unknown option, -2 for a bad value already reported */
static int parse_flag(struct exec_flags *f, int c, char *arg) {
  switch (c) {
  case 'p':
  case OPT_PROCESS: f->o.process_file = arg; return 0;
  case 't': f->o.tty = true; return 0;
  case 'd': f->detach = true; return 0;
  case OPT_CONSOLE: f->o.console_socket = arg; return 0;
  case OPT_PID_FILE: f->o.pid_file = arg; return 0;
  case OPT_PIDFD_SOCKET: f->pidfd_socket = arg; return 0;
  case OPT_CWD: f->o.cwd = arg; return 0;
  case 'e': return strv_push(&f->env, arg);
  case 'u': f->o.user = arg; return 0;
  case 'g': return split_gids(&f->gids, arg);
  case OPT_CAP: return strv_push(&f->caps, arg);
  case OPT_CGROUP: return strv_push(&f->cgroups, arg);
  case OPT_NNP: f->o.no_new_privs = true; return 0;
  case OPT_PRESERVE: return cli_parse_preserve_fds("exec", arg, &f->o.preserve_fds) < 0 ? -2 : 0;
  case OPT_IGNORE_PAUSED: f->o.ignore_paused = true; return 0;
  case OPT_LABEL: f->o.process_label = arg; return 0;
  case OPT_APPARMOR: f->o.apparmor = arg; return 0;
  default: return -1;
  }
}

static int parse_exec_flags(int argc, char **argv, struct exec_flags *f) {
  static const struct option opts[] = {
      {"process", required_argument, NULL, OPT_PROCESS}, {"tty", no_argument, NULL, 't'},
      {"detach", no_argument, NULL, 'd'}, {"console-socket", required_argument, NULL, OPT_CONSOLE},
      {"pid-file", required_argument, NULL, OPT_PID_FILE},
      {"pidfd-socket", required_argument, NULL, OPT_PIDFD_SOCKET},
      {"cwd", required_argument, NULL, OPT_CWD},
      {"env", required_argument, NULL, 'e'}, {"user", required_argument, NULL, 'u'},
      {"additional-gids", required_argument, NULL, 'g'}, {"cap", required_argument, NULL, OPT_CAP},
      {"no-new-privs", no_argument, NULL, OPT_NNP},
      {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
      {"process-label", required_argument, NULL, OPT_LABEL},
      {"apparmor", required_argument, NULL, OPT_APPARMOR},
      {"ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED},
      {"cgroup", required_argument, NULL, OPT_CGROUP}, {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "+tde:u:g:p:h", opts, NULL)) != -1)
    switch (c == 'h' ? 1 : parse_flag(f, c, optarg)) {
    case 1: return cli_print_help("exec") == 0 ? -1 : 1;
    case 0: break;
    case -2: return 1; /* reported */
    default: return cli_bad_option("exec", argv);
    }
  if (optind >= argc)
    return cli_usage_error("exec", "missing container id");
  f->o.id = argv[optind];
  f->o.args = argv + optind + 1;
  f->o.env = f->env.v;
  f->o.additional_gids = f->gids.v;
  f->o.caps = f->caps.v;
  f->o.cgroups = f->cgroups.v;
  return 0;
}

/* The exec'd process must not outlive a failed exec (runc terminates it too): SIGKILL, reap. */
static void kill_execd(pid_t pid) {
  int pidfd = pidfd_open_pid(pid);
  if (pidfd >= 0 && pidfd_signal(pidfd, SIGKILL) == 0)
    pidfd_wait_exit(pidfd, 5000);
  if (pidfd >= 0)
    close(pidfd);
  waitpid(pid, NULL, WNOHANG);
}

/* --pid-file's directory must be writable before anything runs. */
static int pid_file_check(const char *path, struct berr **err) {
  cleanup_free char *copy = strdup(path);
  if (copy == NULL)
    return berr_set(err, ENOMEM, "--pid-file");
  char *slash = strrchr(copy, '/');
  const char *dir = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
  if (access(dir, W_OK) < 0)
    return berr_errno(err, "--pid-file %s: directory %s", path, dir);
  return 0;
}

int cmd_exec(const struct global_opts *g, int argc, char **argv) {
  struct exec_flags f = {.o = {.root = g->root}};
  struct tty_relay relay = {.ours = -1, .theirs = -1, .master = -1};
  cleanup_berr struct berr *err = NULL;
  cleanup_close int pidfd_sock = -1;
  int status = 1;
  int parsed = parse_exec_flags(argc, argv, &f);
  if (parsed != 0) {
    status = parsed < 0 ? 0 : parsed; /* -1: --help printed */
    goto out;
  }
  if (cli_pidfd_socket_open(f.pidfd_socket, &pidfd_sock, &err) < 0) {
    status = exec_fail(err);
    goto out;
  }
  if (f.o.pid_file && pid_file_check(f.o.pid_file, &err) < 0) {
    status = exec_fail(err);
    goto out;
  }
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);
  pid_t pid;
  /* attached without --console-socket: a terminal (-t or the process.json's) is ours */
  if (!f.detach && f.o.console_socket == NULL) {
    if (tty_relay_open(&relay, &err) < 0) {
      status = exec_fail(err);
      goto out;
    }
    f.o.console_sock_fd = relay.theirs;
    /* the pty gets our size before the process runs, not after (a race with it) */
    struct winsize ws;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
      f.o.console_rows = ws.ws_row;
      f.o.console_cols = ws.ws_col;
    }
  }
  if (container_exec(&f.o, &pid, &err) < 0) {
    status = exec_fail(err);
    goto out;
  }
  if (cli_pidfd_send(pidfd_sock, pid, &err) < 0) { /* it killed and reaped the process */
    status = exec_fail(err);
    goto out;
  }
  if (f.o.pid_file && pid_file_write(f.o.pid_file, pid, &err) < 0) {
    /* as runc: the process nobody could be told about does not keep running */
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
    status = exec_fail(err);
    goto out;
  }
  bool tty = false;
  if (relay.ours >= 0 && tty_relay_take_master(&relay, &tty, &err) < 0) {
    kill_execd(pid);
    if (f.o.pid_file) /* it names the process just killed */
      unlink(f.o.pid_file);
    status = exec_fail(err);
    goto out;
  }
  if (f.detach)
    status = 0;
  else
    status = tty ? tty_relay_run(&relay, pid, &all) : wait_forwarding(pid, &all);
  if (status < 0)
    status = 255;
out:
  tty_relay_close(&relay);
  free(f.env.v);
  free(f.gids.v);
  free(f.caps.v);
  free(f.cgroups.v);
  return status;
}
