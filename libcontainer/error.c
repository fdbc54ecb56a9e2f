#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int berr_vset(struct berr **err, int errnum, const char *fmt, va_list ap) {
  if (err == NULL || *err != NULL)
    return -1;
  struct berr *e = calloc(1, sizeof(*e));
  if (e == NULL)
    return -1;
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  if (msg != NULL && errnum != 0) {
    char *full = NULL;
    if (asprintf(&full, "%s: %s", msg, strerror(errnum)) >= 0) {
      free(msg);
      msg = full;
    }
  }
  e->code = errnum;
  e->msg = msg ? msg : strdup("out of memory");
  *err = e;
  return -1;
}

int berr_set(struct berr **err, int errnum, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  berr_vset(err, errnum, fmt, ap);
  va_end(ap);
  return -1;
}

int berr_code(struct berr **err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  berr_vset(err, 0, fmt, ap);
  va_end(ap);
  if (err && *err)
    (*err)->code = code;
  return -1;
}

int berr_prefix(struct berr **err, const char *fmt, ...) {
  if (err == NULL || *err == NULL)
    return -1;
  char *ctx = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&ctx, fmt, ap);
  va_end(ap);
  if (n < 0)
    return -1;
  char *full = NULL;
  if (asprintf(&full, "%s: %s", ctx, (*err)->msg) >= 0) {
    free((*err)->msg);
    (*err)->msg = full;
  }
  free(ctx);
  return -1;
}

void berr_free(struct berr *e) {
  if (e == NULL)
    return;
  free(e->msg);
  free(e);
}

void berr_cleanup(struct berr **e) {
  berr_free(*e);
  *e = NULL;
}
