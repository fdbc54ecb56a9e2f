/* The one cleanup idiom of berth: __attribute__((cleanup)) helpers, and
 * explicit hand-off of ownership with steal_fd() / steal_ptr(). */
#ifndef BERTH_CLEANUP_H
#define BERTH_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_free_fn(void *p) { free(*(void **)p); }
static inline void cleanup_close_fn(int *fd) {
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}
static inline void cleanup_fclose_fn(FILE **f) {
  if (*f)
    fclose(*f);
}
static inline void cleanup_closedir_fn(DIR **d) {
  if (*d)
    closedir(*d);
}
/* A NULL-terminated vector of malloc'ed strings. */
static inline void cleanup_strv_fn(char ***v) {
  if (*v) {
    for (char **p = *v; *p; p++)
      free(*p);
    free(*v);
  }
}

#define cleanup_free __attribute__((cleanup(cleanup_free_fn)))
#define cleanup_close __attribute__((cleanup(cleanup_close_fn)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclose_fn)))
#define cleanup_dir __attribute__((cleanup(cleanup_closedir_fn)))
#define cleanup_strv __attribute__((cleanup(cleanup_strv_fn)))

static inline int steal_fd(int *fd) {
  int r = *fd;
  *fd = -1;
  return r;
}

static inline void *steal_ptr_impl(void **p) {
  void *r = *p;
  *p = NULL;
  return r;
}
#define steal_ptr(p) steal_ptr_impl((void **)(p))

#endif
