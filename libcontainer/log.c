#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "util.h"

static int log_fd = 2;
static enum log_format log_fmt = LOG_FMT_TEXT;
static enum log_level log_lvl = LOG_LVL_WARN;
static log_forward_fn log_forward;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

int log_configure(const char *path, enum log_format fmt, enum log_level level) {
  log_fmt = fmt;
  log_lvl = level;
  if (path == NULL || path[0] == '\0')
    return 0;
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return -1;
  if (log_fd > 2)
    close(log_fd);
  log_fd = fd;
  return 0;
}

void log_set_level(enum log_level level) { log_lvl = level; }
enum log_level log_get_level(void) { return log_lvl; }
int log_get_fd(void) { return log_fd; }
enum log_format log_get_format(void) { return log_fmt; }
void log_set_forward(log_forward_fn fn) { log_forward = fn; }


/* With --log FILE an error also goes to stderr, as plain text: runc does the same, and engines
 * (containerd's shim) read the command's output to tell what failed. */
static void error_to_stderr_too(const char *msg) {
  struct stat a, b;
  if (log_fd == 2 || (fstat(log_fd, &a) == 0 && fstat(2, &b) == 0 && a.st_dev == b.st_dev &&
                      a.st_ino == b.st_ino))
    return;
  char *line = NULL;
  int n = asprintf(&line, "berth: %s\n", msg);
  if (n > 0)
    write_all(2, line, n);
  free(line);
}

void log_write(enum log_level lvl, const char *msg) {
  if (lvl > log_lvl)
    return;
  if (log_forward) {
    log_forward(lvl, msg);
    return;
  }
  int saved = errno;
  if (log_fmt == LOG_FMT_JSON) {
    char ts[64];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    rfc3339_format(&now, ts, sizeof(ts));
    json_writer *w = json_writer_new(false);
    if (w) {
      jw_object_begin(w);
      jw_kv_string(w, "level", level_names[lvl]);
      jw_kv_string(w, "msg", msg);
      jw_kv_string(w, "time", ts);
      jw_object_end(w);
      size_t len = 0;
      const char *text = json_writer_text(w, &len);
      if (text) {
        write_all(log_fd, text, len);
        write_all(log_fd, "\n", 1);
      }
      json_writer_free(w);
    }
  } else {
    char *line = NULL;
    int n = asprintf(&line, "berth: %s%s%s\n", lvl == LOG_LVL_ERROR ? "" : level_names[lvl],
                     lvl == LOG_LVL_ERROR ? "" : ": ", msg);
    if (n > 0)
      write_all(log_fd, line, n);
    free(line);
  }
  if (lvl == LOG_LVL_ERROR)
    error_to_stderr_too(msg);
  errno = saved;
}

void log_msg(enum log_level lvl, const char *fmt, ...) {
  if (lvl > log_lvl)
    return;
  char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&msg, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  log_write(lvl, msg);
  free(msg);
}
