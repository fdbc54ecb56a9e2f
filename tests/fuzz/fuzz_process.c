/* process.json (exec --process FILE): spec_parse_process. */
#include "fuzz_common.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  struct spec_process *p = NULL;
  struct berr *err = NULL;
  if (spec_parse_process((const char *)data, size, &p, &err) == 0) {
    if (p == NULL)
      abort();
    spec_process_free(p);
  } else if (err == NULL || err->msg == NULL) {
    abort();
  }
  berr_free(err);
  return 0;
}
