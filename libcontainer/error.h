/* The one error convention of berth (see docs/errors.md):
 * a function returns 0 on success or -1 on failure, and on failure fills
 * `struct berr **err` with the errno and a message. Callers add context with
 * berr_prefix() as the error travels up ("mount /proc: ..."). */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

#include <stdarg.h>
#include <stddef.h>

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
int berr_vcode(struct berr **err, int code, const char *fmt, va_list ap);

/* Prepends "context: " to an existing error; returns -1. */
int berr_prefix(struct berr **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* NULL is allowed everywhere: every function taking `struct berr **err` accepts
 * err == NULL (the caller does not care why it failed). So nothing outside
 * error.c dereferences err; it reads an error through these, which take NULL
 * (the meson test lint-berr checks it): berr_errcode(err)  the errno of the
 * error in *err; 0 when there is none or err is NULL berr_message(err)  its
 * message; "unknown error" when there is none A function that must look at a
 * callee's error to decide what to do (retry, fall back, recover) even when its
 * own caller passed NULL declares berr_sink(err) first: err then points at a
 * local error, freed when the function returns. */
static inline int berr_errcode(struct berr *const *err) {
  return err != NULL && *err != NULL ? (*err)->code : 0;
}
static inline const char *berr_message(struct berr *const *err) {
  return err != NULL && *err != NULL && (*err)->msg != NULL ? (*err)->msg
                                                            : "unknown error";
}
#define berr_sink(err)                                                         \
  __attribute__((cleanup(berr_cleanup))) struct berr *berr_sink_local_ = NULL; \
  if ((err) == NULL)                                                           \
  (err) = &berr_sink_local_

/* Hands the error in *from to the caller's err (dropped when err is NULL or
 * already set); resets *from, returns -1: `return berr_move(err, &e);`. */
int berr_move(struct berr **err, struct berr **from);

/* Sets the exit status (127/126, see above) of the error in *err, if any. */
void berr_set_exit_status(struct berr **err, int status);

void berr_free(struct berr *e);
void berr_cleanup(struct berr **e);
#define cleanup_berr __attribute__((cleanup(berr_cleanup)))

/* Handy: `return berr_errno(err, "open %s", path);` uses the current errno. */
#define berr_errno(err, ...) berr_set((err), errno, __VA_ARGS__)

#endif
