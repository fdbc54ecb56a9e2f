#include "create_flags.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

enum {
  OPT_PID_FILE = 256, OPT_CONSOLE, OPT_NO_PIVOT, OPT_NO_KEYRING, OPT_PRESERVE, OPT_KEEP,
  OPT_NO_SUBREAPER, OPT_PIDFD_SOCKET
};

/* systemd socket activation (sd_listen_fds(3)): the fds 3..3+n-1 handed to this process
 * (LISTEN_PID is ours) go to the container first, as runc passes them. */
static int listen_fds_from_env(void) {
  const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
  if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != (long)getpid())
    return 0;
  char *end;
  errno = 0;
  long n = strtol(fds, &end, 10);
  return errno || *end || end == fds || n < 0 || n > 65536 ? 0 : (int)n;
}

int parse_create_flags(const char *cmd, int argc, char **argv, struct create_opts *o,
                       struct run_flags *r) {
  static const struct option opts[] = {
      {"bundle", required_argument, NULL, 'b'},
      {"pid-file", required_argument, NULL, OPT_PID_FILE},
      {"console-socket", required_argument, NULL, OPT_CONSOLE},
      {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
      {"no-new-keyring", no_argument, NULL, OPT_NO_KEYRING},
      {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
      {"detach", no_argument, NULL, 'd'},
      {"keep", no_argument, NULL, OPT_KEEP},
      {"no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER},
      {"pidfd-socket", required_argument, NULL, OPT_PIDFD_SOCKET},
      {NULL, 0, NULL, 0}};
  int c;
  cli_reorder_flags(argc, argv, r->run ? "+b:d" : "+b:", opts); /* flags after the id, as runc */
  while ((c = getopt_long(argc, argv, r->run ? "+b:d" : "+b:", opts, NULL)) != -1) {
    switch (c) {
    case 'b': o->bundle = optarg; break;
    case OPT_PID_FILE: o->pid_file = optarg; break;
    case OPT_CONSOLE: o->console_socket = optarg; break;
    case OPT_NO_PIVOT: o->no_pivot = true; break;
    case OPT_NO_KEYRING: o->no_new_keyring = true; break;
    /* runc's flag: berth never makes itself a child subreaper (the container's process is
     * its direct child, CLONE_PARENT), so this is what it always does */
    case OPT_NO_SUBREAPER: break;
    case OPT_PIDFD_SOCKET: r->pidfd_socket = optarg; break;
    case OPT_PRESERVE:
      if (cli_parse_preserve_fds(cmd, optarg, &o->preserve_fds) < 0)
        return -1;
      break;
    case 'd':
    case OPT_KEEP:
      if (!r->run) {
        cli_usage_error(cmd, "unknown option \"%s\"", argv[optind - 1]);
        return -1;
      }
      if (c == 'd')
        r->detach = true;
      else
        r->keep = true;
      break;
    default:
      cli_bad_option(cmd, argv);
      return -1;
    }
  }
  if (cli_expect_args(cmd, argc, argv, optind, 1))
    return -1;
  o->id = argv[optind];
  o->listen_fds = listen_fds_from_env();
  return 0;
}
