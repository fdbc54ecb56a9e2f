/* berth events: the container's resource usage as runc's stats events. --stats prints one and
 * exits; otherwise one every --interval (default 5s) and an {"type":"oom"} event whenever the
 * cgroup's oom_kill counter grows, until the container stops. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "json.h"

static void print_oom(const char *id) {
  cleanup_json_writer json_writer *w = json_writer_new(false);
  if (w == NULL)
    return;
  jw_object_begin(w);
  jw_kv_string(w, "type", "oom");
  jw_kv_string(w, "id", id);
  jw_object_end(w);
  const char *t = json_writer_text(w, NULL);
  if (t)
    printf("%s\n", t);
}

/* "5", "5s", "500ms", "1m", "1.5s" (Go durations as runc takes them) */
static int parse_interval(const char *s, double *sec) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || v <= 0)
    return -1;
  if (*end == '\0' || strcmp(end, "s") == 0)
    *sec = v;
  else if (strcmp(end, "ms") == 0)
    *sec = v / 1000;
  else if (strcmp(end, "m") == 0)
    *sec = v * 60;
  else
    return -1;
  return 0;
}

static void sleep_seconds(double sec) {
  struct timespec ts = {(time_t)sec, (long)((sec - (double)(time_t)sec) * 1e9)};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

int cmd_events(const struct global_opts *g, int argc, char **argv) {
  static const struct option opts[] = {{"interval", required_argument, NULL, 'i'},
                                       {"stats", no_argument, NULL, 's'},
                                       {NULL, 0, NULL, 0}};
  double interval = 5;
  bool once = false;
  int c;
  cli_reorder_flags(argc, argv, "+", opts); /* flags after the id, as runc */
  while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
    if (c == 'i' && parse_interval(optarg, &interval) == 0)
      continue;
    if (c == 'i')
      return cli_usage_error("events", "--interval: invalid duration \"%s\"", optarg);
    if (c != 's')
      return cli_usage_error("events", "invalid option");
    once = true;
  }
  if (cli_expect_args("events", argc, argv, optind, 1))
    return 1;
  const char *id = argv[optind];
  uint64_t last_oom = 0;
  for (int round = 0;; round++) {
    cleanup_berr struct berr *err = NULL;
    cleanup_free char *json = NULL;
    uint64_t oom = 0;
    if (container_stats(g->root, id, &json, &oom, &err) < 0) {
      /* the stream ends when the container stops (or is deleted) */
      if (round > 0 && !once && (berr_errcode(&err) == ESRCH || berr_errcode(&err) == ENOENT))
        return 0;
      return cli_fail(err);
    }
    if (round > 0 && oom > last_oom)
      print_oom(id);
    last_oom = oom;
    printf("%s\n", json);
    fflush(stdout);
    if (once)
      return 0;
    sleep_seconds(interval);
  }
}
