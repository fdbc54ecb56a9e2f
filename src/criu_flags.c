#include "criu_flags.h"

#include <getopt.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
  OPT_IMAGE = 256, OPT_WORK, OPT_PARENT, OPT_LEAVE, OPT_TCP, OPT_TCP_SKIP, OPT_LINK_REMAP,
  OPT_EXT_UNIX, OPT_SHELL, OPT_LAZY, OPT_STATUS_FD, OPT_PAGE_SERVER, OPT_FILE_LOCKS,
  OPT_PRE_DUMP, OPT_CGROUPS_MODE, OPT_EMPTY_NS, OPT_AUTO_DEDUP,
  /* restore only */
  OPT_CONSOLE, OPT_PID_FILE, OPT_NO_SUBREAPER, OPT_NO_PIVOT, OPT_BUNDLE, OPT_LSM_PROFILE,
  OPT_LSM_MOUNT,
};

static const struct option opts[] = {
    {"image-path", required_argument, NULL, OPT_IMAGE},
    {"work-path", required_argument, NULL, OPT_WORK},
    {"parent-path", required_argument, NULL, OPT_PARENT},
    {"leave-running", no_argument, NULL, OPT_LEAVE},
    {"tcp-established", no_argument, NULL, OPT_TCP},
    {"tcp-skip-in-flight", no_argument, NULL, OPT_TCP_SKIP},
    {"link-remap", no_argument, NULL, OPT_LINK_REMAP},
    {"ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX},
    {"shell-job", no_argument, NULL, OPT_SHELL},
    {"lazy-pages", no_argument, NULL, OPT_LAZY},
    {"status-fd", required_argument, NULL, OPT_STATUS_FD},
    {"page-server", required_argument, NULL, OPT_PAGE_SERVER},
    {"file-locks", no_argument, NULL, OPT_FILE_LOCKS},
    {"pre-dump", no_argument, NULL, OPT_PRE_DUMP},
    {"manage-cgroups-mode", required_argument, NULL, OPT_CGROUPS_MODE},
    {"empty-ns", required_argument, NULL, OPT_EMPTY_NS},
    {"auto-dedup", no_argument, NULL, OPT_AUTO_DEDUP},
    {"detach", no_argument, NULL, 'd'},
    {"console-socket", required_argument, NULL, OPT_CONSOLE},
    {"pid-file", required_argument, NULL, OPT_PID_FILE},
    {"no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER},
    {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
    {"bundle", required_argument, NULL, OPT_BUNDLE},
    {"lsm-profile", required_argument, NULL, OPT_LSM_PROFILE},
    {"lsm-mount-context", required_argument, NULL, OPT_LSM_MOUNT},
    {NULL, 0, NULL, 0}};

/* runc's: checkpoint-only flags are refused by restore and the other way round */
static bool checkpoint_only(int c) {
  return c == OPT_PARENT || c == OPT_LEAVE || c == OPT_TCP_SKIP || c == OPT_LINK_REMAP ||
         c == OPT_STATUS_FD || c == OPT_PAGE_SERVER || c == OPT_PRE_DUMP;
}

static bool restore_only(int c) {
  return c == 'd' || c == 'b' || c >= OPT_CONSOLE;
}

static int cgroups_mode(const char *cmd, const char *s, int *out) {
  if (strcmp(s, "soft") == 0)
    *out = CRIU_CG_SOFT;
  else if (strcmp(s, "full") == 0)
    *out = CRIU_CG_FULL;
  else if (strcmp(s, "strict") == 0)
    *out = CRIU_CG_STRICT;
  else
    return cli_usage_error(cmd, "--manage-cgroups-mode \"%s\": want soft, full or strict%s", s,
                           strcmp(s, "ignore") == 0 ? " (ignore is not supported, as in runc)"
                                                    : ""),
           -1;
  return 0;
}

int parse_criu_flags(const char *cmd, int argc, char **argv, struct criu_flags *f,
                     struct restore_cli *r) {
  int c;
  char *end;
  f->status_fd = -1;
  /* the network namespace's contents (addresses, routes, iptables rules) are never dumped or
   * restored, as runc never does ("runc doesn't manage network devices"): CRIU's ip and
   * iptables-save/-restore runs were ~0.6 s of a lazy migration's downtime under TCG */
  f->empty_ns = CLONE_NEWNET;
  cli_reorder_flags(argc, argv, r ? "+db:" : "+", opts); /* flags after the id, as runc */
  while ((c = getopt_long(argc, argv, r ? "+db:" : "+", opts, NULL)) != -1) {
    if (c == '?')
      return cli_bad_option(cmd, argv), -1;
    if ((r && checkpoint_only(c)) || (!r && restore_only(c)))
      return cli_usage_error(cmd, "unknown option \"%s\"", argv[optind - 1]), -1;
    switch (c) {
    case OPT_IMAGE: f->image_path = optarg; break;
    case OPT_WORK: f->work_path = optarg; break;
    case OPT_PARENT: f->parent_path = optarg; break;
    case OPT_LEAVE: f->leave_running = true; break;
    case OPT_TCP: f->tcp_established = true; break;
    case OPT_TCP_SKIP: f->tcp_skip_in_flight = true; break;
    case OPT_LINK_REMAP: f->link_remap = true; break;
    case OPT_EXT_UNIX: f->ext_unix_sk = true; break;
    case OPT_SHELL: f->shell_job = true; break;
    case OPT_LAZY: f->lazy_pages = true; break;
    case OPT_FILE_LOCKS: f->file_locks = true; break;
    case OPT_PRE_DUMP: f->pre_dump = true; break;
    case OPT_AUTO_DEDUP: f->auto_dedup = true; break;
    case OPT_PAGE_SERVER: f->page_server = optarg; break;
    case OPT_STATUS_FD:
      f->status_fd = (int)strtol(optarg, &end, 10);
      if (*end || end == optarg || f->status_fd < 0)
        return cli_usage_error(cmd, "--status-fd \"%s\": not an fd number", optarg), -1;
      break;
    case OPT_CGROUPS_MODE:
      if (cgroups_mode(cmd, optarg, &f->manage_cgroups_mode) < 0)
        return -1;
      break;
    case OPT_EMPTY_NS:
      /* runc takes only the network namespace (always left empty: see above) */
      if (strcmp(optarg, "network") != 0)
        return cli_usage_error(cmd, "--empty-ns \"%s\": only \"network\" is supported", optarg),
               -1;
      f->empty_ns |= CLONE_NEWNET;
      break;
    case 'd': r->detach = true; break;
    case 'b':
    case OPT_BUNDLE: r->o.bundle = optarg; break;
    case OPT_CONSOLE: r->o.console_socket = optarg; break;
    case OPT_PID_FILE: r->o.pid_file = optarg; break;
    /* berth is never a subreaper; the restored init is its child (CRIU's rst_sibling) */
    case OPT_NO_SUBREAPER: break;
    /* CRIU, not berth, pivots into the restored root */
    case OPT_NO_PIVOT: r->o.no_pivot = true; break;
    case OPT_LSM_PROFILE:
    case OPT_LSM_MOUNT:
      return cli_usage_error(cmd, "%s: not supported by berth yet", argv[optind - 2]), -1;
    }
  }
  if (cli_expect_args(cmd, argc, argv, optind, 1) != 0)
    return -1;
  return optind;
}
