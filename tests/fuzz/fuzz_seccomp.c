/* seccomp_program_build on parsed configs: whatever linux.seccomp passes the validator must
 * compile to BPF or fail with a message, never crash libseccomp or berth. */
#include "fuzz_common.h"
#include "seccomp_filter.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  struct spec *s = NULL;
  struct berr *err = NULL;
  if (spec_parse((const char *)data, size, &s, &err) < 0) {
    berr_free(err);
    return 0;
  }
  struct seccomp_program *prog = NULL;
  const struct spec_seccomp *sc = s->linux ? s->linux->seccomp : NULL;
  if (seccomp_program_build(sc, &prog, &err) == 0) {
    if ((sc == NULL) != (prog == NULL))
      abort();
    if (prog && seccomp_program_len(prog) == 0)
      abort();
    (void)seccomp_program_needs_listener(prog);
    seccomp_program_free(prog);
  } else if (err == NULL || err->msg == NULL) {
    abort();
  }
  berr_free(err);
  spec_free(s);
  return 0;
}
