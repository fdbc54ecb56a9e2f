/* berth list: every container under --root, as a table, ids or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "container.h"
#include "json.h"
#include "state.h"

enum list_format { LIST_TABLE, LIST_JSON, LIST_QUIET };

static void print_row(const struct container_state *st, enum container_status s, void *data) {
  enum list_format f = *(enum list_format *)data;
  if (f == LIST_QUIET)
    printf("%s\n", st->id);
  else
    printf("%-12s %-8d %-10s %-40s %-31s %s\n", st->id, s == STATUS_STOPPED ? 0 : st->pid,
           container_status_name(s), st->bundle ? st->bundle : "", st->created ? st->created : "",
           st->owner && st->owner[0] ? st->owner : "root");
}

static void add_json(const struct container_state *st, enum container_status s, void *data) {
  json_writer *w = data;
  jw_object_begin(w);
  jw_kv_string(w, "ociVersion", st->oci_version);
  jw_kv_string(w, "id", st->id);
  jw_kv_int(w, "pid", s == STATUS_STOPPED ? 0 : st->pid);
  jw_kv_string(w, "status", container_status_name(s));
  jw_kv_string(w, "bundle", st->bundle);
  jw_kv_string(w, "rootfs", st->rootfs);
  jw_kv_string(w, "created", st->created);
  jw_kv_string(w, "owner", st->owner && st->owner[0] ? st->owner : "root");
  /* as runc's list: only when there are some */
  if (st->annotations_len)
    state_json_annotations(w, st);
  jw_object_end(w);
}

static int list_json(const char *root) {
  cleanup_json_writer json_writer *w = json_writer_new(false);
  cleanup_berr struct berr *err = NULL;
  jw_array_begin(w);
  if (container_list(root, add_json, w, &err) < 0)
    return cli_fail(err);
  jw_array_end(w);
  const char *text = json_writer_text(w, NULL);
  printf("%s\n", text ? text : "[]");
  return 0;
}

int cmd_list(const struct global_opts *g, int argc, char **argv) {
  static const struct option opts[] = {
      {"format", required_argument, NULL, 'f'}, {"quiet", no_argument, NULL, 'q'}, {NULL, 0, NULL, 0}};
  enum list_format f = LIST_TABLE;
  int c;
  while ((c = getopt_long(argc, argv, "+f:q", opts, NULL)) != -1) {
    if (c == 'q')
      f = LIST_QUIET;
    else if (c == 'f' && strcmp(optarg, "json") == 0)
      f = LIST_JSON;
    else if (c == 'f' && strcmp(optarg, "table") == 0)
      f = f == LIST_QUIET ? f : LIST_TABLE;
    else
      return c == 'f' ? cli_usage_error("list", "unknown format (table or json)")
                      : cli_bad_option("list", argv);
  }
  if (optind < argc)
    return cli_usage_error("list", "unexpected argument \"%s\"", argv[optind]);
  if (f == LIST_JSON)
    return list_json(g->root);
  if (f == LIST_TABLE)
    printf("%-12s %-8s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
           "OWNER");
  cleanup_berr struct berr *err = NULL;
  if (container_list(g->root, print_row, &f, &err) < 0)
    return cli_fail(err);
  return 0;
}
