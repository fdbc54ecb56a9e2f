/* The library's only way to print. The CLI configures the sink
 * (stderr or --log FILE, text or json); library code calls log_*(). */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
enum log_format { LOG_FMT_TEXT = 0, LOG_FMT_JSON };

/* path NULL: stderr. Returns 0, or -1 with errno when the file cannot be opened. */
int log_configure(const char *path, enum log_format fmt, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
int log_get_fd(void);
enum log_format log_get_format(void);

/* Replaces the sink with a function (the container init uses this to send its
 * log lines to the parent over the sync socket). NULL restores the fd sink. */
typedef void (*log_forward_fn)(enum log_level lvl, const char *msg);
void log_set_forward(log_forward_fn fn);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes an already formatted message (used for messages forwarded from the child). */
void log_write(enum log_level lvl, const char *msg);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
  do {                                                                                             \
    if (log_get_level() >= LOG_LVL_DEBUG)                                                          \
      log_msg(LOG_LVL_DEBUG, __VA_ARGS__);                                                         \
  } while (0)

#endif
