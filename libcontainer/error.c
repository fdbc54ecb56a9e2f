#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The error when there is no memory for one: static, never freed nor changed,
 * so a caller that got -1 always finds an error in *err (cleanup paths read its
 * code and message). */
static struct berr berr_oom = {.code = ENOMEM, .msg = (char *)"out of memory"};

int berr_vset(struct berr **err, int errnum, const char *fmt, va_list ap) {
  if (err == NULL || *err != NULL)
    return -1;
  struct berr *e = calloc(1, sizeof(*e));
  if (e == NULL) {
    *err = &berr_oom;
    return -1;
  }
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
  if (msg == NULL) {
    free(e);
    *err = &berr_oom;
    return -1;
  }
  e->code = errnum;
  e->msg = msg;
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

int berr_vcode(struct berr **err, int code, const char *fmt, va_list ap) {
  if (err == NULL || *err != NULL) /* the first error wins, code and all */
    return -1;
  berr_vset(err, 0, fmt, ap);
  if (*err != &berr_oom)
    (*err)->code = code;
  return -1;
}

int berr_code(struct berr **err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  berr_vcode(err, code, fmt, ap);
  va_end(ap);
  return -1;
}

int berr_move(struct berr **err, struct berr **from) {
  if (err != NULL && *err == NULL) {
    *err = *from;
    *from = NULL;
  } else {
    berr_cleanup(from);
  }
  return -1;
}

void berr_set_exit_status(struct berr **err, int status) {
  if (err && *err && *err != &berr_oom)
    (*err)->exit_status = status;
}

int berr_prefix(struct berr **err, const char *fmt, ...) {
  if (err == NULL || *err == NULL || *err == &berr_oom)
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
  if (e == NULL || e == &berr_oom)
    return;
  free(e->msg);
  free(e);
}

void berr_cleanup(struct berr **e) {
  if (e == NULL)
    return;
  berr_free(*e);
  *e = NULL;
}
