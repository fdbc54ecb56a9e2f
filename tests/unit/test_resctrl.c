/* Unit tests for resctrl.c (linux.intelRdt) against a temporary directory laid out like the
 * resctrl filesystem (info/, schemata, tasks, mon_groups/): no host here has resctrl. The test
 * plays the kernel where a mkdir would make a group's files (schemata, tasks, mon_groups). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "json.h"
#include "resctrl.h"
#include "spec.h"
#include "util.h"

#include "check.h"

static char root[] = "/tmp/berth-resctrl-XXXXXX";
static int rootfd = -1;

static void put(const char *path, const char *text) {
  char p[512];
  snprintf(p, sizeof(p), "%s/%s", root, path);
  FILE *f = fopen(p, "we");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

static void mk(const char *path) {
  char p[512];
  snprintf(p, sizeof(p), "%s/%s", root, path);
  mkdir(p, 0755);
}

static bool exists(const char *path) {
  return faccessat(rootfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static char *get(const char *path) {
  char *text = NULL;
  if (read_file_at(rootfd, path, &text, NULL, NULL) < 0)
    return strdup("<missing>");
  return text;
}

#define CHECK_FILE(path, want)                                                                    \
  do {                                                                                             \
    cleanup_free char *got_ = get(path);                                                           \
    CHECK(strcmp(got_, want) == 0, "%s: got \"%s\", want \"%s\"", path, got_, want);              \
  } while (0)

#define CHECK_ERR(r, e, code_, needle)                                                             \
  do {                                                                                             \
    CHECK((r) == -1 && (e) && (e)->code == (code_) && strstr((e)->msg, needle),                    \
          "want error %d with \"%s\", got %d: %s", code_, needle, r, (e) ? (e)->msg : "(none)");  \
  } while (0)

/* A fresh resctrl-like root: the root group's files, info/, mon_groups/. */
static void reset(void) {
  char cmd[600];
  if (rootfd >= 0)
    close(rootfd);
  snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir %s", root, root);
  if (system(cmd) != 0)
    abort();
  mk("info");
  mk("info/L3");
  mk("mon_groups");
  put("info/last_cmd_status", "ok\n");
  put("schemata", "    L3:0=fff;1=fff\n    MB:0=100;1=100\n");
  put("tasks", "");
  rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* The kernel makes these with the group's directory. */
static void kernel_files(const char *group) {
  char p[300];
  snprintf(p, sizeof(p), "%s/schemata", group);
  put(p, "");
  snprintf(p, sizeof(p), "%s/tasks", group);
  put(p, "");
  snprintf(p, sizeof(p), "%s/mon_groups", group);
  mk(p);
}

static void kernel_files_gone(const char *dir) {
  char p[300];
  const char *files[] = {"schemata", "tasks"};
  for (size_t i = 0; i < 2; i++) {
    snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
    unlinkat(rootfd, p, 0);
  }
  snprintf(p, sizeof(p), "%s/mon_groups", dir);
  unlinkat(rootfd, p, AT_REMOVEDIR);
}

static struct spec_intel_rdt rdt_of(const char *clos, const char *l3, const char *mb, bool mon) {
  return (struct spec_intel_rdt){.clos_id = (char *)clos, .l3_cache_schema = (char *)l3,
                                 .mem_bw_schema = (char *)mb, .enable_monitoring = mon};
}

static int notes;
static bool note_saw_dir;
static int note(void *arg, const struct resctrl_group *g, struct berr **err) {
  (void)err;
  notes++;
  /* called before the mkdir: what it announces does not exist yet */
  note_saw_dir = g->mon ? exists("c1/mon_groups/c1") || exists("shared/mon_groups/c1")
                        : exists(g->name);
  return 0;
}

static void test_matches(void) {
  const char *k = "    L3:0=0ff;1=fff\n    MB:0=100;1=70\nL3CODE:0=f\n";
  CHECK(resctrl_schema_matches(k, "L3:0=ff;1=fff"), "exact, leading zero");
  CHECK(resctrl_schema_matches(k, "L3:1=FFF"), "a subset of the domains, any case");
  CHECK(resctrl_schema_matches(k, " MB: 0 = 100 ; 1=70"), "spaces");
  CHECK(resctrl_schema_matches(k, "MB:1=70"), "MB");
  CHECK(!resctrl_schema_matches(k, "L3:0=f0"), "other value");
  CHECK(!resctrl_schema_matches(k, "L3:2=f"), "no such domain");
  CHECK(!resctrl_schema_matches(k, "L2:0=f"), "no such resource");
  CHECK(!resctrl_schema_matches(k, "L3CODE:0=ff"), "L3CODE is not L3");
  CHECK(resctrl_schema_matches(k, "L3CODE:0=f"), "L3CODE");
  CHECK(!resctrl_schema_matches(k, "L3"), "no colon");
  CHECK(!resctrl_schema_matches(k, "L3:"), "no domain");
  CHECK(!resctrl_schema_matches(k, "L3:0"), "no value");
  CHECK(resctrl_group_name_ok("/") && resctrl_group_name_ok("g1") &&
            !resctrl_group_name_ok("..") && !resctrl_group_name_ok("a/b") &&
            !resctrl_group_name_ok(""),
        "group names");
}

/* No closID: the group is the container id, made, written, monitored, entered, removed. */
static void test_new_group(void) {
  reset();
  char *lines[] = {"L2:0=f;1=f", NULL};
  struct spec_intel_rdt rdt = rdt_of(NULL, "L3:0=7f0", "MB:0=20", true);
  rdt.schemata.items = lines;
  rdt.schemata.len = 1;
  struct resctrl_group g = {0};
  cleanup_berr struct berr *err = NULL;
  notes = 0;
  int r = resctrl_make(rootfd, &rdt, "c1", &g, note, NULL, &err);
  CHECK(r == 0, "make: %s", err ? err->msg : "");
  CHECK(g.name && strcmp(g.name, "c1") == 0 && g.created && !g.mon, "the group is c1, made");
  CHECK(notes == 1 && !note_saw_dir, "noted before the mkdir");
  CHECK(exists("c1"), "c1 made");
  kernel_files("c1");
  r = resctrl_configure(rootfd, &rdt, "c1", &g, note, NULL, &err);
  CHECK(r == 0, "configure: %s", err ? err->msg : "");
  /* l3CacheSchema first, memBwSchema next, schemata last, one line each */
  CHECK_FILE("c1/schemata", "L3:0=7f0\nMB:0=20\nL2:0=f;1=f\n");
  CHECK(g.mon && exists("c1/mon_groups/c1"), "MON group made");
  CHECK(notes == 2 && !note_saw_dir, "MON group noted before the mkdir");
  CHECK(g.old_schemata == NULL, "a new group has nothing to restore");
  put("c1/mon_groups/c1/tasks", "");
  r = resctrl_enter(rootfd, &g, "c1", 4242, &err);
  CHECK(r == 0, "enter: %s", err ? err->msg : "");
  CHECK_FILE("c1/tasks", "4242");
  CHECK_FILE("c1/mon_groups/c1/tasks", "4242");
  CHECK_FILE("schemata", "    L3:0=fff;1=fff\n    MB:0=100;1=100\n");
  CHECK_FILE("tasks", "");
  /* delete: the kernel's files go with the directory */
  unlinkat(rootfd, "c1/mon_groups/c1/tasks", 0);
  struct resctrl_group mon_only = {.name = "c1", .mon = true};
  r = resctrl_remove(rootfd, &mon_only, "c1", false, &err);
  CHECK(r == 0 && !exists("c1/mon_groups/c1") && exists("c1"), "MON group removed alone");
  kernel_files_gone("c1");
  r = resctrl_remove(rootfd, &g, "c1", false, &err);
  CHECK(r == 0, "remove: %s", err ? err->msg : "");
  CHECK(!exists("c1"), "c1 removed");
  resctrl_group_clear(&g);
}

/* closID of an existing group: its schemata must match; joined, written, not removed. */
static void test_join_existing(void) {
  reset();
  mk("shared");
  put("shared/schemata", "    L3:0=0ff;1=fff\n    MB:0=100;1=100\n");
  put("shared/tasks", "17\n");
  mk("shared/mon_groups");
  char *lines[] = {"MB:1=70", NULL};
  struct spec_intel_rdt rdt = rdt_of("shared", "L3:0=ff", NULL, true);
  rdt.schemata.items = lines;
  rdt.schemata.len = 1;
  struct resctrl_group g = {0};
  cleanup_berr struct berr *err = NULL;
  int r = resctrl_setup(rootfd, &rdt, "c1", &g, NULL, NULL, &err);
  CHECK(r == 0, "setup: %s", err ? err->msg : "");
  CHECK(!g.created && g.mon, "joined, MON group made");
  CHECK(g.old_schemata && strstr(g.old_schemata, "MB:0=100;1=100"), "old schemata kept");
  CHECK_FILE("shared/schemata",
             "    L3:0=0ff;1=fff\n    MB:0=100;1=100\nL3:0=ff\nMB:1=70\n");
  /* create fails later: the old values go back, the MON group goes, the group stays */
  resctrl_undo(rootfd, &g, "c1");
  CHECK_FILE("shared/schemata", "    L3:0=0ff;1=fff\n    MB:0=100;1=100\nL3:0=ff\nMB:1=70\n"
                                "L3:0=0ff;1=fff\nMB:0=100;1=100\n");
  CHECK(exists("shared") && !exists("shared/mon_groups/c1"), "group kept, MON group removed");
  CHECK_FILE("shared/tasks", "17\n");
  resctrl_group_clear(&g);

  /* delete of a container that joined without monitoring removes nothing */
  struct resctrl_group joined = {.name = "shared"};
  r = resctrl_remove(rootfd, &joined, "c1", false, &err);
  CHECK(r == 0 && exists("shared"), "a joined group is not removed");
}

static void test_mismatch_and_missing(void) {
  reset();
  mk("shared");
  put("shared/schemata", "    L3:0=0ff;1=fff\n    MB:0=100;1=100\n");
  struct resctrl_group g = {0};
  cleanup_berr struct berr *err = NULL;
  struct spec_intel_rdt rdt = rdt_of("shared", NULL, "MB:0=50", false);
  int r = resctrl_setup(rootfd, &rdt, "c1", &g, NULL, NULL, &err);
  CHECK_ERR(r, err, EINVAL, "linux.intelRdt.memBwSchema \"MB:0=50\": the existing resctrl group "
                            "\"shared\" has other values (its schemata: L3:0=0ff;1=fff, "
                            "MB:0=100;1=100)");
  CHECK_FILE("shared/schemata", "    L3:0=0ff;1=fff\n    MB:0=100;1=100\n");
  resctrl_undo(rootfd, &g, "c1");
  CHECK(exists("shared"), "the existing group stays");
  resctrl_group_clear(&g);
  berr_cleanup(&err);

  /* closID without schemas: a pre-configured group that must exist */
  rdt = rdt_of("nope", NULL, NULL, false);
  r = resctrl_setup(rootfd, &rdt, "c1", &g, NULL, NULL, &err);
  CHECK_ERR(r, err, ENOENT, "linux.intelRdt.closID \"nope\": no such resctrl group");
  CHECK(!exists("nope") && !g.created, "nothing made");
  resctrl_group_clear(&g);
  berr_cleanup(&err);

  /* ... with schemas it is made */
  rdt = rdt_of("new", "L3:0=f", NULL, false);
  r = resctrl_make(rootfd, &rdt, "c1", &g, NULL, NULL, &err);
  CHECK(r == 0 && g.created && exists("new"), "closID with a schema: made");
  resctrl_undo(rootfd, &g, "c1");
  CHECK(!exists("new"), "undo removes the group it made");
  resctrl_group_clear(&g);
}

/* A failing write (here: the group has no schemata file) undoes the mkdir. */
static void test_failure_cleans_up(void) {
  reset();
  struct resctrl_group g = {0};
  cleanup_berr struct berr *err = NULL;
  struct spec_intel_rdt rdt = rdt_of(NULL, "L3:0=f", NULL, false);
  int r = resctrl_setup(rootfd, &rdt, "c2", &g, NULL, NULL, &err);
  CHECK_ERR(r, err, ENOENT, "linux.intelRdt.l3CacheSchema \"L3:0=f\": open schemata");
  CHECK(g.created && exists("c2"), "made before the write failed");
  resctrl_undo(rootfd, &g, "c2");
  CHECK(!exists("c2"), "undo removed it");
  resctrl_group_clear(&g);
  berr_cleanup(&err);

  /* monitoring without mon_groups: this host has none */
  mk("plain");
  put("plain/schemata", "L3:0=f\n");
  rdt = rdt_of("plain", NULL, NULL, true);
  r = resctrl_setup(rootfd, &rdt, "c2", &g, NULL, NULL, &err);
  CHECK_ERR(r, err, ENOTSUP, "linux.intelRdt.enableMonitoring: resctrl group \"plain\" has no "
                             "mon_groups");
  CHECK(!g.mon, "no MON group");
  resctrl_group_clear(&g);
  berr_cleanup(&err);

  /* a MON group by that name exists: not the container's own, left alone */
  mk("mon_groups/c2");
  rdt = rdt_of("/", NULL, NULL, true);
  r = resctrl_setup(rootfd, &rdt, "c2", &g, NULL, NULL, &err);
  CHECK_ERR(r, err, EEXIST, "MON group mon_groups/c2 already exists");
  resctrl_undo(rootfd, &g, "c2");
  CHECK(exists("mon_groups/c2"), "someone else's MON group stays");
  resctrl_group_clear(&g);
}

/* closID "/": the root group, joined, never removed. */
static void test_root_group(void) {
  reset();
  struct resctrl_group g = {0};
  cleanup_berr struct berr *err = NULL;
  struct spec_intel_rdt rdt = rdt_of("/", NULL, NULL, false);
  int r = resctrl_setup(rootfd, &rdt, "c3", &g, NULL, NULL, &err);
  CHECK(r == 0 && !g.created && strcmp(g.name, "/") == 0, "root joined: %s",
        err ? err->msg : "");
  CHECK(resctrl_enter(rootfd, &g, "c3", 77, &err) == 0, "enter root");
  CHECK_FILE("tasks", "77");
  g.created = true; /* even so: the root is never removed */
  CHECK(resctrl_remove(rootfd, &g, "c3", false, &err) == 0, "remove root");
  CHECK(exists("schemata"), "root intact");
  resctrl_group_clear(&g);
}

/* A create killed before its init existed: a group with tasks is not removed. */
static void test_remove_only_unused(void) {
  reset();
  mk("c4");
  put("c4/tasks", "99\n");
  struct resctrl_group g = {.name = "c4", .created = true};
  cleanup_berr struct berr *err = NULL;
  CHECK(resctrl_remove(rootfd, &g, "c4", true, &err) == 0 && exists("c4"), "in use: kept");
  unlinkat(rootfd, "c4/tasks", 0);
  CHECK(resctrl_remove(rootfd, &g, "c4", true, &err) == 0 && !exists("c4"), "unused: removed");
  CHECK(resctrl_remove(rootfd, &g, "c4", false, &err) == 0, "already gone: fine");
}

static void test_update_and_stats(void) {
  reset();
  mk("c5");
  put("c5/schemata", "    L3:0=fff;1=fff\n");
  cleanup_berr struct berr *err = NULL;
  CHECK(resctrl_update(rootfd, "c5", "L3:0=f", "MB:0=10", &err) == 0, "update");
  CHECK_FILE("c5/schemata", "    L3:0=fff;1=fff\nL3:0=f\nMB:0=10\n");
  int r = resctrl_update(rootfd, "gone", "L3:0=f", NULL, &err);
  CHECK_ERR(r, err, ENOENT, "resctrl group \"gone\"");
  berr_cleanup(&err);
  unlinkat(rootfd, "c5/schemata", 0);
  put("info/last_cmd_status", "Unknown or unsupported resource name 'X'\n");
  r = resctrl_update(rootfd, "c5", NULL, "MB:0=1", &err);
  CHECK_ERR(r, err, ENOENT, "--mem-bw-schema \"MB:0=1\": open schemata");

  reset();
  mk("c6");
  put("c6/schemata", "    L3:0=f0;1=ff\n    MB:0=50;1=50\n");
  put("info/L3/cbm_mask", "fff\n");
  put("info/L3/min_cbm_bits", "1\n");
  put("info/L3/num_closids", "16\n");
  mk("c6/mon_groups");
  mk("c6/mon_groups/c6");
  mk("c6/mon_groups/c6/mon_data");
  mk("c6/mon_groups/c6/mon_data/mon_L3_01");
  mk("c6/mon_groups/c6/mon_data/mon_L3_00");
  put("c6/mon_groups/c6/mon_data/mon_L3_00/llc_occupancy", "4096\n");
  put("c6/mon_groups/c6/mon_data/mon_L3_01/llc_occupancy", "Unavailable\n");
  struct resctrl_group g = {.name = "c6", .mon = true};
  cleanup_json_writer json_writer *w = json_writer_new(false);
  resctrl_stats(rootfd, &g, "c6", w);
  const char *text = json_writer_text(w, NULL);
  const char *want = "{\"l3_cache_info\":{\"cbm_mask\":\"fff\",\"min_cbm_bits\":1,"
                     "\"num_closids\":16},\"l3_cache_schema_root\":\"L3:0=fff;1=fff\","
                     "\"l3_cache_schema\":\"L3:0=f0;1=ff\",\"mem_bw_schema_root\":"
                     "\"MB:0=100;1=100\",\"mem_bw_schema\":\"MB:0=50;1=50\",\"cmt_stats\":"
                     "[{\"llc_occupancy\":4096},{\"llc_occupancy\":0}]}";
  CHECK(text && strcmp(text, want) == 0, "stats: got %s", text ? text : "(null)");
}

/* This host's resctrl (none here: the error the spec requires). */
static void test_open_host(void) {
  int fd = -1;
  cleanup_berr struct berr *err = NULL;
  if (resctrl_open(&fd, &err) == 0) {
    printf("# resctrl is mounted here: opened it\n");
    close(fd);
    return;
  }
  CHECK_ERR(-1, err, ENOENT, "linux.intelRdt: no resctrl filesystem is mounted");
}

int main(void) {
  if (mkdtemp(root) == NULL)
    return 1;
  test_matches();
  test_new_group();
  test_join_existing();
  test_mismatch_and_missing();
  test_failure_cleans_up();
  test_root_group();
  test_remove_only_unused();
  test_update_and_stats();
  test_open_host();
  char cmd[600];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
  if (system(cmd) != 0)
    failed++;
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
