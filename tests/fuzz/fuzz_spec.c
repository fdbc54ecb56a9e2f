/* config.json: parser and validator (spec_parse), then the helpers that read the model. */
#include "fuzz_common.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  struct spec *s = NULL;
  struct berr *err = NULL;
  if (spec_parse((const char *)data, size, &s, &err) == 0) {
    for (int t = 0; t < NS_COUNT; t++)
      (void)spec_has_new_namespace(s, (enum spec_ns_type)t);
    spec_free(s);
  } else if (err == NULL || err->msg == NULL) {
    abort(); /* a failure must say why */
  }
  berr_free(err);
  return 0;
}
