/* The JSON round trip: json.c's reader and writer (jw_node, as the seccomp agent's state uses it) (and the features document, which is
 * written with them). Any input that parses is written back; that text must parse to an
 * equal tree and write back byte for byte the same. */
#include <stdio.h>

#include "fuzz_common.h"
#include "json.h"
#include "runtime_features.h"
#include "tables.h"

/* text -> tree -> text; NULL when text does not parse */
static char *round_trip(const char *text, size_t len, bool pretty) {
  json_node *root = NULL;
  struct berr *err = NULL;
  if (json_parse(text, len, &root, &err) < 0) {
    if (err == NULL || err->msg == NULL)
      abort();
    berr_free(err);
    return NULL;
  }
  json_writer *w = json_writer_new(pretty);
  jw_node(w, root);
  const char *out = json_writer_text(w, NULL);
  char *copy = out ? strdup(out) : NULL;
  if (copy == NULL)
    abort();
  json_writer_free(w);
  json_free(root);
  return copy;
}

/* The features document must survive the round trip, and each name it lists must parse. */
static void check_features_once(void) {
  static int done;
  if (done)
    return;
  done = 1;
  char *f = features_json();
  char *a = f ? round_trip(f, strlen(f), true) : NULL;
  if (a == NULL || strcmp(a, f) != 0)
    abort();
  json_node *root = NULL;
  if (json_parse(f, strlen(f), &root, NULL) < 0)
    abort();
  const json_node *opts = json_get(root, "mountOptions");
  for (size_t i = 0; i < json_array_len(opts); i++)
    if (mount_option_lookup(json_string(json_array_at(opts, i))) == NULL)
      abort();
  json_free(root);
  free(a);
  free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  check_features_once();
  for (int pretty = 0; pretty <= 1; pretty++) {
    char *once = round_trip((const char *)data, size, pretty);
    if (once == NULL)
      return 0;
    char *twice = round_trip(once, strlen(once), pretty);
    if (twice == NULL || strcmp(once, twice) != 0)
      abort();
    free(once);
    free(twice);
  }
  return 0;
}
