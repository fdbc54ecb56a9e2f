/* The error contract (docs/errors.md): every function of error.h accepts a NULL `err` and a
 * NULL *err, the first error wins (message and code), and a failure always leaves an error. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "error.h"

static int needs_error(struct berr **err) {
  berr_sink(err);
  if (berr_set(err, ENOENT, "inner") < 0 && berr_errcode(err) == ENOENT)
    return 1; /* saw the code even when the caller passed NULL */
  return 0;
}

int main(void) {
  /* NULL err: no crash, -1 */
  CHECK(berr_set(NULL, EIO, "x") == -1, "berr_set(NULL)");
  CHECK(berr_code(NULL, EIO, "x") == -1, "berr_code(NULL)");
  CHECK(berr_prefix(NULL, "ctx") == -1, "berr_prefix(NULL)");
  CHECK(berr_errcode(NULL) == 0, "berr_errcode(NULL)");
  CHECK(strcmp(berr_message(NULL), "unknown error") == 0, "berr_message(NULL)");
  berr_set_exit_status(NULL, 127);
  berr_cleanup(NULL);
  struct berr *none = NULL;
  CHECK(berr_errcode(&none) == 0, "berr_errcode of no error");
  CHECK(berr_prefix(&none, "ctx") == -1 && none == NULL, "berr_prefix of no error");
  struct berr *moved = NULL;
  berr_set(&moved, EIO, "m");
  CHECK(berr_move(NULL, &moved) == -1 && moved == NULL, "berr_move to NULL frees");
  CHECK(needs_error(NULL) == 1, "berr_sink gives a function an error to look at");

  /* first error wins, code and all */
  struct berr *e = NULL;
  berr_set(&e, ENOENT, "first");
  berr_code(&e, EINVAL, "second");
  berr_set(&e, EIO, "third");
  CHECK(e && e->code == ENOENT, "code kept: %d", e ? e->code : -1);
  CHECK(e && strcmp(e->msg, "first: No such file or directory") == 0, "msg: %s",
        e ? e->msg : "(null)");
  berr_prefix(&e, "ctx %d", 1);
  CHECK(e && strncmp(e->msg, "ctx 1: first", 12) == 0, "prefix: %s", e ? e->msg : "(null)");
  berr_set_exit_status(&e, 127);
  CHECK(e && e->exit_status == 127, "exit status");
  struct berr *to = NULL;
  berr_move(&to, &e);
  CHECK(to && e == NULL && to->code == ENOENT, "berr_move hands it over");
  berr_cleanup(&to);
  CHECK(to == NULL, "berr_cleanup resets");

  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
