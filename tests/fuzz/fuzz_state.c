/* state.json: state_parse (what state_read does after reading the file), then the state
 * document written back (state_to_json) must parse again to the same container. */
#include <stdio.h>

#include "fuzz_common.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  struct container_state *st = NULL;
  struct berr *err = NULL;
  /* the id is the one test inputs use; a state for another id must be refused */
  if (state_parse((const char *)data, size, "c1", &st, &err) < 0) {
    if (err == NULL || err->msg == NULL)
      abort();
    berr_free(err);
    return 0;
  }
  if (st->pid < 0 || st->id == NULL || strcmp(st->id, "c1") != 0)
    abort();
  for (int s = STATUS_CREATING; s <= STATUS_PAUSED; s++) {
    char *json = state_to_json(st, (enum container_status)s, s & 1);
    if (json == NULL)
      abort();
    free(json);
  }
  struct berr *werr = NULL;
  /* state_write's own output must be readable: write to memory through a pipe-less path is not
   * exposed, so re-parse what state_to_json printed for a live container */
  char *json = state_to_json(st, STATUS_RUNNING, false);
  struct container_state *again = NULL;
  /* state_to_json has no startTime: add it the way state_write does */
  char *with_start = NULL;
  if (json == NULL || asprintf(&with_start, "{\"startTime\":%llu,%s", st->start_time, json + 1) < 0)
    abort();
  if (state_parse(with_start, strlen(with_start), "c1", &again, &werr) < 0 ||
      again->pid != st->pid || again->start_time != st->start_time ||
      again->annotations_len != st->annotations_len)
    abort();
  container_state_free(again);
  free(with_start);
  free(json);
  container_state_free(st);
  return 0;
}
