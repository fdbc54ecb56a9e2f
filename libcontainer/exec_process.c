/* The process an exec runs: --process FILE as engines send it, or the
 * bundle's process with the command-line flags applied (as runc does). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "exec.h"
#include "tables.h"
#include "util.h"

static size_t strv_len(char *const *v) {
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

/* Appends copies of add to l (or replaces l when replace is set). */
static int strv_merge(struct spec_string_list *l, char *const *add, bool replace) {
  size_t keep = replace ? 0 : l->len, n = strv_len(add);
  char **v = calloc(keep + n + 1, sizeof(*v));
  if (v == NULL)
    return -1;
  for (size_t i = 0; i < keep; i++)
    v[i] = l->items[i];
  for (size_t i = 0; i < n; i++)
    if ((v[keep + i] = strdup(add[i])) == NULL)
      return -1;
  if (replace)
    for (size_t i = 0; i < l->len; i++)
      free(l->items[i]);
  free(l->items);
  l->items = v;
  l->len = keep + n;
  return 0;
}

static int parse_id(const char *s, const char *what, uint32_t *out, struct berr **err) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (end == s || *end || s[0] == '-' || s[0] == '+' || s[0] == ' ')
    return berr_code(err, EINVAL, "%s: \"%s\" is not a numeric id", what, s);
  /* 4294967295 is -1, "unchanged", to setresuid: the process would stay root */
  if (errno || v > SPEC_ID_MAX)
    return berr_code(err, EINVAL, "%s: id %s is out of range (0 to 2147483647)", what, s);
  *out = (uint32_t)v;
  return 0;
}

static int apply_user(struct spec_process *p, const char *user, struct berr **err) {
  cleanup_free char *copy = strdup(user);
  if (copy == NULL)
    return berr_set(err, ENOMEM, "--user");
  char *colon = strchr(copy, ':');
  if (colon)
    *colon = '\0';
  if (parse_id(copy, "--user", &p->user.uid, err) < 0)
    return -1;
  if (colon && parse_id(colon + 1, "--user", &p->user.gid, err) < 0)
    return -1;
  return 0;
}

static int apply_gids(struct spec_process *p, char *const *gids, struct berr **err) {
  size_t n = strv_len(gids);
  uint32_t *v = calloc(n ? n : 1, sizeof(*v));
  if (v == NULL)
    return berr_set(err, ENOMEM, "--additional-gids");
  for (size_t i = 0; i < n; i++)
    if (parse_id(gids[i], "--additional-gids", &v[i], err) < 0) {
      free(v);
      return -1;
    }
  free(p->user.additional_gids);
  p->user.additional_gids = v;
  p->user.additional_gids_len = n;
  return 0;
}

static int apply_caps(struct spec_process *p, char *const *caps, struct berr **err) {
  if (p->capabilities == NULL && (p->capabilities = calloc(1, sizeof(*p->capabilities))) == NULL)
    return berr_set(err, ENOMEM, "--cap");
  struct spec_capabilities *c = p->capabilities;
  for (size_t i = 0; caps[i]; i++) {
    int cap = cap_from_name(caps[i]);
    if (cap < 0)
      return berr_code(err, EINVAL, "--cap: unknown capability \"%s\"", caps[i]);
    c->bounding |= 1ULL << cap;
    c->effective |= 1ULL << cap;
    c->permitted |= 1ULL << cap;
  }
  c->has_bounding = c->has_effective = c->has_permitted = true;
  return 0;
}

/* *field = a copy of value, when value is given. */
static int replace_string(char **field, const char *value) {
  if (value == NULL)
    return 0;
  char *copy = strdup(value);
  if (copy == NULL)
    return -1;
  free(*field);
  *field = copy;
  return 0;
}

/* A process.json without apparmorProfile or selinuxLabel runs under the
 * container's (as runc does): leaving a field out never makes an exec less
 * confined than the container. */
static int inherit_labels(struct spec_process *p, const struct spec_process *c) {
  if (c == NULL)
    return 0;
  if (p->apparmor_profile == NULL && replace_string(&p->apparmor_profile, c->apparmor_profile) < 0)
    return -1;
  if (p->selinux_label == NULL && replace_string(&p->selinux_label, c->selinux_label) < 0)
    return -1;
  return 0;
}

static int from_file(const char *path, const struct spec *bundle, struct spec_process **out,
                     struct berr **err) {
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (read_file_at(AT_FDCWD, path, &text, &len, err) < 0)
    return berr_prefix(err, "--process");
  if (spec_parse_process(text, len, out, err) < 0)
    return -1;
  if (inherit_labels(*out, bundle->process) < 0) {
    spec_process_free(steal_ptr(out));
    return berr_set(err, ENOMEM, "--process");
  }
  return 0;
}

static int apply_flags(const struct exec_opts *o, struct spec_process *p, struct berr **err) {
  if (o->args == NULL || o->args[0] == NULL)
    return berr_code(err, EINVAL, "exec: no command given (arguments or --process FILE)");
  for (size_t i = 0; o->env && o->env[i]; i++)
    if (strchr(o->env[i], '=') == NULL || o->env[i][0] == '=')
      return berr_code(err, EINVAL, "--env \"%s\": not NAME=VALUE", o->env[i]);
  if (strv_merge(&p->args, o->args, true) < 0 || strv_merge(&p->env, o->env, false) < 0)
    return berr_set(err, ENOMEM, "exec");
  p->terminal = o->tty;
  if (o->cwd) {
    if (o->cwd[0] != '/')
      return berr_code(err, EINVAL, "--cwd: must be an absolute path, got \"%s\"", o->cwd);
    free(p->cwd);
    p->cwd = strdup(o->cwd);
  }
  if (o->user && apply_user(p, o->user, err) < 0)
    return -1;
  if (o->additional_gids && apply_gids(p, o->additional_gids, err) < 0)
    return -1;
  if (o->caps && apply_caps(p, o->caps, err) < 0)
    return -1;
  if (o->no_new_privs)
    p->no_new_privileges = true;
  if (replace_string(&p->selinux_label, o->process_label) < 0 ||
      replace_string(&p->apparmor_profile, o->apparmor) < 0)
    return berr_set(err, ENOMEM, "exec");
  return 0;
}

static int apply_console_size(const struct exec_opts *o, struct spec_process *p,
                              struct berr **err) {
  if (!p->terminal || p->console_size || o->console_rows == 0 || o->console_cols == 0)
    return 0;
  p->console_size = calloc(1, sizeof(*p->console_size));
  if (p->console_size == NULL)
    return berr_set(err, ENOMEM, "exec");
  p->console_size->height = o->console_rows;
  p->console_size->width = o->console_cols;
  return 0;
}

int exec_build_process(const struct exec_opts *o, struct spec *bundle, struct spec_process **out,
                       struct berr **err) {
  struct spec_process *p = NULL;
  if (o->process_file) {
    if (from_file(o->process_file, bundle, &p, err) < 0)
      return -1;
  } else {
    if (bundle->process == NULL)
      return berr_code(err, EINVAL, "exec: the bundle's config.json has no process to start from");
    p = steal_ptr(&bundle->process);
    if (apply_flags(o, p, err) < 0) {
      spec_process_free(p);
      return -1;
    }
  }
  if (apply_console_size(o, p, err) < 0) {
    spec_process_free(p);
    return -1;
  }
  *out = p;
  return 0;
}
