/* The environment a container process gets: process.env as runc hands it
 * over (one entry per name, HOME always set, socket activation variables). */
#include "process_env.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "pathsafe.h"

/* /etc/passwd larger than this is not read (the lookup falls back to "/") */
#define PASSWD_MAX (4 << 20)

static size_t name_len(const char *entry) {
  const char *eq = strchr(entry, '=');
  return eq ? (size_t)(eq - entry) : strlen(entry);
}

static bool same_name(const char *a, const char *b) {
  size_t n = name_len(a);
  return n == name_len(b) && strncmp(a, b, n) == 0;
}

/* The index of the entry named like `entry` in v[0..n), or n. */
static size_t find_name(char *const *v, size_t n, const char *entry) {
  for (size_t i = 0; i < n; i++)
    if (same_name(v[i], entry))
      return i;
  return n;
}

/* Reads the container's /etc/passwd (the current root) into *text; 0 without one. */
static int read_passwd(char **text) {
  *text = NULL;
  cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return -1;
  /* O_NONBLOCK: the image may make it a fifo */
  cleanup_close int fd = pathsafe_openat(root, "/etc/passwd", O_RDONLY | O_NONBLOCK);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > PASSWD_MAX)
    return 0;
  cleanup_free char *buf = malloc((size_t)st.st_size + 1);
  if (buf == NULL)
    return -1;
  size_t used = 0;
  while (used < (size_t)st.st_size) {
    ssize_t r = read(fd, buf + used, (size_t)st.st_size - used);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    used += (size_t)r;
  }
  buf[used] = '\0';
  *text = steal_ptr(&buf);
  return 0;
}

/* The home directory of uid in passwd text ("name:pw:uid:gid:gecos:home:shell"), or NULL. */
static char *passwd_home(const char *text, uint32_t uid) {
  for (const char *line = text; *line;) {
    const char *eol = strchrnul(line, '\n');
    const char *f[7] = {line};
    size_t nf = 1;
    for (const char *c = line; c < eol && nf < 7; c++)
      if (*c == ':')
        f[nf++] = c + 1;
    char *end;
    unsigned long v = nf == 7 ? strtoul(f[2], &end, 10) : 0;
    if (nf == 7 && end != f[2] && *end == ':' && v == uid && f[6] - 1 > f[5])
      return strndup(f[5], (size_t)(f[6] - 1 - f[5]));
    line = *eol ? eol + 1 : eol;
  }
  return NULL;
}

/* The home directory of uid in /etc/passwd of the current root, "/" when there is none;
 * malloc'ed, NULL only when out of memory. */
static char *process_env_home(uint32_t uid) {
  cleanup_free char *text = NULL;
  if (read_passwd(&text) < 0)
    return NULL;
  char *home = text ? passwd_home(text, uid) : NULL;
  return home ? home : strdup("/");
}

/* Puts an owned entry into v[0..*n): replaces the value of a name already there (keeping its
 * place), else appends. NULL (a failed allocation) is ENOMEM. */
static int put(char **v, size_t *n, char *entry, struct berr **err) {
  if (entry == NULL)
    return berr_set(err, ENOMEM, "process.env");
  size_t at = find_name(v, *n, entry);
  if (at < *n)
    free(v[at]);
  else
    (*n)++;
  v[at] = entry;
  return 0;
}

static char *entry_printf(const char *fmt, const char *s, int i) {
  char *e = NULL;
  if ((s ? asprintf(&e, fmt, s) : asprintf(&e, fmt, i)) < 0)
    return NULL;
  return e;
}

int process_env_build(const struct spec_process *p, int listen_fds, char ***out,
                      struct berr **err) {
  size_t len = p->env.items ? p->env.len : 0, n = 0;
  cleanup_strv char **v = calloc(len + 4, sizeof(*v));
  if (v == NULL)
    return berr_set(err, ENOMEM, "process.env");
  for (size_t i = 0; i < len; i++) {
    const char *e = p->env.items[i];
    if (e == NULL || strchr(e, '=') == NULL || e[0] == '=')
      return berr_code(err, EINVAL, "process.env[%zu] \"%s\": not NAME=VALUE", i, e ? e : "");
    /* a name given twice: the last value, where the name first appeared (as runc) */
    if (put(v, &n, strdup(e), err) < 0)
      return -1;
  }
  if (find_name(v, n, "HOME=") == n) {
    cleanup_free char *home = process_env_home(p->user.uid);
    if (put(v, &n, home ? entry_printf("HOME=%s", home, 0) : NULL, err) < 0)
      return -1;
  }
  /* sd_listen_fds() compares LISTEN_PID with getpid(): the pid the process sees */
  if (listen_fds > 0 && (put(v, &n, entry_printf("LISTEN_FDS=%d", NULL, listen_fds), err) < 0 ||
                         put(v, &n, entry_printf("LISTEN_PID=%d", NULL, (int)getpid()), err) < 0))
    return -1;
  *out = steal_ptr(&v);
  return 0;
}
