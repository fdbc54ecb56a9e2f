/* berth: the command table, global options and dispatch. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "state.h"

static const struct command commands[] = {
    {"create", cmd_create, "create [options] <container-id>",
     "create a container from a bundle, its process parked until start",
     "  -b, --bundle DIR         bundle directory (default: current directory)\n"
     "      --pid-file FILE      write the container process's pid to FILE\n"
     "      --console-socket S   unix socket that receives the pty master (process.terminal)\n"
     "      --no-pivot           use MS_MOVE + chroot instead of pivot_root\n"
     "      --no-new-keyring     keep the caller's session keyring\n"
     "      --no-subreaper       accepted for runc (berth never is a subreaper)\n"
     "      --preserve-fds N     pass fds 3..3+N-1 to the container\n"
     "      --pidfd-socket S     unix socket that receives the container process's pidfd\n"},
    {"start", cmd_start, "start <container-id>", "start the process of a created container", ""},
    {"state", cmd_state, "state <container-id>", "print the state of a container as JSON", ""},
    {"kill", cmd_kill, "kill [options] <container-id> [signal]",
     "send a signal (default: the stopSignal annotation, or SIGTERM) to the container's process",
     "  -a, --all                signal every process of the container\n"},
    {"delete", cmd_delete, "delete [options] <container-id>",
     "delete a stopped (or created) container and its resources",
     "  -f, --force              kill a running container first\n"},
    {"run", cmd_run, "run [options] <container-id>",
     "create and start a container, wait for it, then delete it",
     "  -b, --bundle DIR         bundle directory (default: current directory)\n"
     "  -d, --detach             return once started, leave it running\n"
     "      --keep               do not delete the container after it exits\n"
     "      --pid-file FILE      write the container process's pid to FILE\n"
     "      --console-socket S   unix socket that receives the pty master (without it,\n"
     "                           run relays a terminal to its own stdio)\n"
     "      --no-pivot           use MS_MOVE + chroot instead of pivot_root\n"
     "      --no-new-keyring     keep the caller's session keyring\n"
     "      --no-subreaper       accepted for runc (berth never is a subreaper)\n"
     "      --preserve-fds N     pass fds 3..3+N-1 to the container\n"
     "      --pidfd-socket S     unix socket that receives the container process's pidfd\n"},
    {"exec", cmd_exec, "exec [options] <container-id> [command [args...]]",
     "run a new process inside a running container",
     "  -p, --process FILE       process.json to run (instead of command and flags)\n"
     "  -t, --tty                allocate a pty (relayed to berth's stdio without\n"
     "                           --console-socket)\n"
     "  -d, --detach             return once the process has started\n"
     "      --console-socket S   unix socket that receives the pty master\n"
     "      --pid-file FILE      write the process's pid to FILE\n"
     "      --pidfd-socket S     unix socket that receives a pidfd of the process\n"
     "      --cwd DIR            working directory inside the container\n"
     "  -e, --env NAME=VALUE     add an environment variable (repeatable)\n"
     "  -u, --user UID[:GID]     run as this user\n"
     "  -g, --additional-gids G  supplementary groups, comma separated\n"
     "      --cap CAP            add a capability (repeatable)\n"
     "      --no-new-privs       set no_new_privs\n"
     "      --preserve-fds N     pass fds 3..3+N-1 to the process\n"
     "      --ignore-paused      exec even if the container is paused\n"
     "      --cgroup [CTL[,CTL]:]PATH  run in this existing sub-cgroup of the container's\n"
     "                           (repeatable; v2: PATH only)\n"
     "      --process-label L, --apparmor P   accepted, ignored without an LSM\n"},
    {"pause", cmd_pause, "pause <container-id>",
     "suspend every process of a running container (cgroup freezer)", ""},
    {"resume", cmd_resume, "resume <container-id>", "resume a paused container", ""},
    {"ps", cmd_ps, "ps [options] <container-id> [ps options...]",
     "list the processes of a container (the pids in its cgroup)",
     "  -f, --format table|json  table: ps(1) output (default ps options -ef), json: an array\n"
     "                           of pids\n"},
    {"update", cmd_update, "update [options] <container-id>",
     "change the cgroup limits of a running container",
     "  -r, --resources FILE     a linux.resources JSON object (\"-\": stdin)\n"
     "      --memory SIZE        memory limit (bytes, or with a k/m/g suffix; -1: none)\n"
     "      --memory-swap SIZE   memory + swap limit\n"
     "      --memory-reservation SIZE  memory soft limit\n"
     "      --cpu-shares N       relative cpu weight\n"
     "      --cpu-quota N        cpu time (us) allowed per period (-1: none)\n"
     "      --cpu-period N       cfs period (us)\n"
     "      --cpuset-cpus LIST   cpus allowed (0-3,5)\n"
     "      --cpuset-mems LIST   memory nodes allowed\n"
     "      --pids-limit N       maximum number of processes (-1 or 0: none)\n"
     "      --blkio-weight N     block io weight (10-1000)\n"
     "      --cpu-rt-period N    realtime period (us; cgroup v1)\n"
     "      --cpu-rt-runtime N   realtime runtime (us) per period (-1: none; cgroup v1)\n"
     "      --cpu-idle 0|1       1: the cgroup's tasks get SCHED_IDLE priority\n"
     "      --l3-cache-schema S  a schemata line (\"L3:0=ff\") for the container's resctrl\n"
     "                           group (linux.intelRdt)\n"
     "      --mem-bw-schema S    a memory bandwidth line (\"MB:0=50\") for that group\n"},
    {"events", cmd_events, "events [options] <container-id>",
     "print the container's resource usage (and oom events) as JSON",
     "      --stats              print one stats event and exit\n"
     "      --interval D         seconds between stats events (default 5; 500ms, 1m)\n"},
    {"list", cmd_list, "list [options]", "list containers",
     "  -f, --format table|json  output format (default table)\n"
     "  -q, --quiet              print ids only\n"},
    {"spec", cmd_spec, "spec [options]", "write a default config.json",
     "  -b, --bundle DIR         where to write config.json (default: current directory)\n"
     "      --rootless           a config for running as an unprivileged user\n"},
    {"checkpoint", cmd_checkpoint, "checkpoint [options] <container-id>",
     "dump a running container to disk with CRIU (it is then removed unless --leave-running)",
     "      --image-path DIR     where the images go (default ./checkpoint)\n"
     "      --work-path DIR      where CRIU's log goes (default: the image directory)\n"
     "      --parent-path DIR    a previous --pre-dump's images, relative to --image-path\n"
     "      --leave-running      keep the container running after the dump\n"
     "      --pre-dump           dump the memory only, keep running (then a dump with\n"
     "                           --parent-path writes only what changed)\n"
     "      --tcp-established    dump established TCP connections\n"
     "      --tcp-skip-in-flight skip connections not yet accepted\n"
     "      --ext-unix-sk        allow unix sockets connected outside the container\n"
     "      --shell-job          allow a controlling terminal from outside\n"
     "      --file-locks         dump file locks\n"
     "      --link-remap         dump open unlinked files as links\n"
     "      --auto-dedup         free the parent images' duplicate pages\n"
     "      --lazy-pages         leave the memory for restore --lazy-pages to pull\n"
     "      --page-server A:P    send the pages to a CRIU page server at address A, port P\n"
     "      --status-fd FD       (with --lazy-pages) a byte is written to FD (write-only)\n"
     "                           when the pages are ready to be pulled\n"
     "      --manage-cgroups-mode soft|full|strict   CRIU's cgroup handling\n"
     "      --empty-ns network   leave the network namespace out of the dump\n"},
    {"restore", cmd_restore, "restore [options] <container-id>",
     "restore a container from a checkpoint with CRIU (a new container from the bundle)",
     "  -b, --bundle DIR         bundle directory (default: current directory)\n"
     "  -d, --detach             return once restored, leave it running\n"
     "      --image-path DIR     the checkpoint's images (default ./checkpoint)\n"
     "      --work-path DIR      where CRIU's log goes (default: the image directory)\n"
     "      --console-socket S   unix socket that receives the restored pty master\n"
     "      --pid-file FILE      write the restored init's pid to FILE\n"
     "      --no-subreaper, --no-pivot   accepted for runc (CRIU pivots into the root)\n"
     "      --tcp-established, --ext-unix-sk, --shell-job, --file-locks, --auto-dedup,\n"
     "      --manage-cgroups-mode M, --empty-ns network   as for checkpoint\n"
     "      --lazy-pages         pull the memory from `criu lazy-pages` as it is touched\n"
     "      --lsm-profile, --lsm-mount-context   refused (not supported yet)\n"},
    {"features", cmd_features, "features", "print the OCI features JSON: what berth supports", ""},
};

const struct command *command_lookup(const char *name) {
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static void print_usage(FILE *out) {
  fprintf(out,
          "usage: berth [global options] COMMAND [options] ARGS\n\n"
          "berth is an OCI runtime: it runs containers from OCI bundles.\n\ncommands:\n");
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "  %-10s %s\n", "help", "show help for a command");
  fprintf(out, "\nglobal options:\n"
               "  --root DIR              state directory (default " BERTH_DEFAULT_ROOT
               ", or $XDG_RUNTIME_DIR/berth when not run by root)\n"
               "  --log FILE              write log messages to FILE (default stderr)\n"
               "  --log-format text|json  log format (default text)\n"
               "  --debug                 log debug messages\n"
               "  --systemd-cgroup        let systemd manage the cgroup\n"
               "  -v, --version           print the version\n"
               "  -h, --help              print this help\n");
}

/* The edit distance (insertions, deletions, substitutions, a swap of two neighbours) between
 * a and b, both shorter than 32 bytes; more is "far". */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b), d[32][32];
  if (la >= 32 || lb >= 32)
    return SIZE_MAX;
  for (size_t i = 0; i <= la; i++)
    for (size_t j = 0; j <= lb; j++) {
      if (i == 0 || j == 0) {
        d[i][j] = i + j;
        continue;
      }
      size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < best)
        best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best)
        best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[la][lb];
}

static size_t common_prefix(const char *a, const char *b) {
  size_t n = 0;
  while (a[n] && a[n] == b[n])
    n++;
  return n;
}

/* The command nearest to a mistyped name (at most 2 edits, and fewer than its length; of two
 * as near, the one sharing a longer prefix: "stat" is "state", not "start"), or NULL. */
static const char *nearest_command(const char *name) {
  const char *best = NULL;
  size_t best_d = 3, best_p = 0;
  for (size_t i = 0; i <= sizeof(commands) / sizeof(commands[0]); i++) {
    const char *c = i < sizeof(commands) / sizeof(commands[0]) ? commands[i].name : "help";
    size_t d = edit_distance(name, c), p = common_prefix(name, c);
    if (d < strlen(name) && (d < best_d || (d == best_d && p > best_p))) {
      best = c;
      best_d = d;
      best_p = p;
    }
  }
  return best;
}

/* "unknown command "stat", did you mean "state"? (see 'berth help')" */
static int unknown_command(const char *cmd, const char *name) {
  const char *near = nearest_command(name);
  if (near)
    return cli_usage_error(cmd, "unknown command \"%s\", did you mean \"%s\"?", name, near);
  return cli_usage_error(cmd, "unknown command \"%s\"", name);
}

int cli_print_help(const char *name) {
  const struct command *c = command_lookup(name);
  if (c == NULL)
    return unknown_command("help", name);
  printf("usage: berth %s\n\n%s\n", c->usage, c->summary);
  if (c->options[0])
    printf("\noptions:\n%s", c->options);
  return 0;
}

static void print_version(void) {
  printf("berth version %s\nspec: 1.3.0\n", BERTH_VERSION);
}

int cli_fail(struct berr *err) {
  log_error("%s", err && err->msg ? err->msg : "unknown error");
  /* 127/126 only for the executable lookup (see struct berr) */
  return err && err->exit_status ? err->exit_status : 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  /* the global options' and help's own errors point at the whole usage */
  if (cmd == NULL)
    log_error("%s (see 'berth help')", buf);
  else if (strcmp(cmd, "help") == 0)
    log_error("%s: %s (see 'berth help')", cmd, buf);
  else
    log_error("%s: %s (see 'berth help %s')", cmd, buf, cmd);
  return 1;
}

int cli_bad_option(const char *cmd, char **argv) {
  /* getopt's own message is off (opterr = 0): the logger reports it, also to --log */
  const char *arg = optind > 0 ? argv[optind - 1] : "";
  if (optopt && !(arg[0] == '-' && arg[1] == '-'))
    return cli_usage_error(cmd, "invalid option \"-%c\" (or its argument is missing)", optopt);
  return cli_usage_error(cmd, "invalid option \"%s\" (or its argument is missing)", arg);
}

int cli_parse_preserve_fds(const char *cmd, const char *s, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < 0 || v > 65536) {
    cli_usage_error(cmd, "--preserve-fds: invalid number \"%s\"", s);
    return -1;
  }
  *out = (int)v;
  return 0;
}

bool cli_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0)
      return false;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return true;
  }
  return false;
}

int cli_expect_args(const char *cmd, int argc, char **argv, int optind_, int n) {
  if (argc - optind_ < n)
    return cli_usage_error(cmd, "missing container id");
  if (argc - optind_ > n)
    return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind_ + n]);
  return 0;
}

static int parse_global(int argc, char **argv, struct global_opts *g) {
  static const struct option opts[] = {
      {"root", required_argument, NULL, 'r'},  {"log", required_argument, NULL, 'l'},
      {"log-format", required_argument, NULL, 'f'}, {"debug", no_argument, NULL, 'd'},
      {"systemd-cgroup", no_argument, NULL, 's'},   {"version", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
    switch (c) {
    case 'r': g->root = optarg; break;
    case 'l': g->log_file = optarg; break;
    case 'f': g->log_format = optarg; break;
    case 'd': g->debug = true; break;
    case 's': g->systemd_cgroup = true; break;
    case 'v': print_version(); exit(0);
    case 'h': print_usage(stdout); exit(0);
    default: cli_bad_option(NULL, argv); return -1;
    }
  }
  return 0;
}

static int setup_logging(const struct global_opts *g) {
  enum log_format fmt = LOG_FMT_TEXT;
  if (g->log_format && strcmp(g->log_format, "json") == 0)
    fmt = LOG_FMT_JSON;
  else if (g->log_format && strcmp(g->log_format, "text") != 0) {
    fprintf(stderr, "berth: --log-format: unknown format \"%s\" (text or json)\n", g->log_format);
    return -1;
  }
  if (log_configure(g->log_file, fmt, g->debug ? LOG_LVL_DEBUG : LOG_LVL_WARN) < 0) {
    fprintf(stderr, "berth: --log %s: %m\n", g->log_file);
    return -1;
  }
  return 0;
}

/* The state root when --root is not given: BERTH_DEFAULT_ROOT for root;
 * $XDG_RUNTIME_DIR/berth (else /run/user/<uid>/berth) for any other user,
 * who cannot write /run. */
static const char *default_root(char *buf, size_t size) {
  if (geteuid() == 0)
    return BERTH_DEFAULT_ROOT;
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  if (xdg && xdg[0] == '/')
    snprintf(buf, size, "%s/berth", xdg);
  else
    snprintf(buf, size, "/run/user/%u/berth", (unsigned)geteuid());
  return buf;
}

int main(int argc, char **argv) {
  char root_buf[4096];
  struct global_opts g = {.root = default_root(root_buf, sizeof(root_buf))};
  if (parse_global(argc, argv, &g) < 0 || setup_logging(&g) < 0)
    return 1;
  if (optind >= argc) {
    print_usage(stderr);
    return 1;
  }
  const char *name = argv[optind];
  int sub_argc = argc - optind;
  char **sub_argv = argv + optind;
  if (strcmp(name, "help") == 0) {
    if (sub_argc < 2) {
      print_usage(stdout);
      return 0;
    }
    return cli_print_help(sub_argv[1]);
  }
  const struct command *c = command_lookup(name);
  if (c == NULL)
    return unknown_command(NULL, name);
  /* exec and ps: what follows the id is the process's or ps(1)'s ("exec ID cmd --help"), so
   * they take --help only before it, in their own getopt loop (as runc) */
  if (strcmp(name, "exec") != 0 && strcmp(name, "ps") != 0 && cli_wants_help(sub_argc, sub_argv))
    return cli_print_help(name);
  optind = 1;
  opterr = 0;
  return c->fn(&g, sub_argc, sub_argv);
}
