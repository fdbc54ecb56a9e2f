/* The one error convention of berth (see docs/errors.md):
 * a function returns 0 on success or -1 on failure, and on failure fills
 * `struct berr **err` with the errno and a message. Callers add context with
 * berr_prefix() as the error travels up ("mount /proc: ..."). */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

#include <stdarg.h>

struct berr {
  int code; /* errno value, 0 when the error is not a system error */
  char *msg;
  /* The exit status the command line gives this error; 0: the default, 1.
   * Only the executable lookup sets it (127 not found, 126 not executable),
   * the statuses engines map, so no other ENOENT or EACCES becomes 127/126. */
  int exit_status;
};

/* Sets *err (if err is not NULL and *err is NULL) and returns -1.
 * When errnum != 0, ": strerror(errnum)" is appended to the message. */
int berr_set(struct berr **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int berr_vset(struct berr **err, int errnum, const char *fmt, va_list ap);

/* Like berr_set, but the message says it all: the code is kept for callers
 * (exit statuses, retries) and no strerror text is appended. */
int berr_code(struct berr **err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "context: " to an existing error; returns -1. */
int berr_prefix(struct berr **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void berr_free(struct berr *e);
void berr_cleanup(struct berr **e);
#define cleanup_berr __attribute__((cleanup(berr_cleanup)))

/* Handy: `return berr_errno(err, "open %s", path);` uses the current errno. */
#define berr_errno(err, ...) berr_set((err), errno, __VA_ARGS__)

#endif
