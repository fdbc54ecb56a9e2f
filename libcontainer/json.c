/* The only file that includes yajl: parsing into yajl's tree, generating with yajl_gen. */
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "json_where.h"

struct json_node; /* is a struct yajl_val_s: we only cast */
#define Y(n) ((yajl_val)(n))

/* Deeper than this is refused before yajl sees it: yajl_tree_free() recurses once per level
 * (a config.json of a few MB of "[" overflowed the stack), and yajl_gen cannot write more
 * than 128 levels back. No OCI document comes near it. */
#define JSON_MAX_DEPTH 128

static bool too_deep(const char *text, size_t len) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < len; i++) {
    char ch = text[i];
    if (in_string) {
      if (ch == '\\')
        i++;
      else if (ch == '"')
        in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > JSON_MAX_DEPTH)
        return true;
    } else if ((ch == ']' || ch == '}') && depth > 0) {
      depth--;
    }
  }
  return false;
}

/* yajl's tree keeps strings NUL-terminated, without their length: "id\u0000zzz" would be
 * read as "id" (and a policy checker reading the JSON sees the rest). Such a string is refused;
 * this finds the first one and writes where it is ("process.args[0]") into path. Runs after
 * too_deep(), so JSON_MAX_DEPTH frames are enough. */
struct scan_frame {
  bool array, expect_key;
  size_t index;
  const char *key;
  size_t key_len;
};

static void frames_path(const struct scan_frame *f, size_t n, char *path, size_t size) {
  size_t used = 0;
  path[0] = '\0';
  for (size_t i = 0; i < n && used < size; i++) {
    int w = f[i].array ? snprintf(path + used, size - used, "[%zu]", f[i].index)
                       : snprintf(path + used, size - used, "%s%.*s", used ? "." : "",
                                  (int)f[i].key_len, f[i].key ? f[i].key : "");
    used += w > 0 ? (size_t)w : 0;
  }
}

/* Scans the string starting after its opening quote; returns the index of its closing quote
 * (or len), and whether it holds a \u0000 escape. */
static size_t scan_string(const char *text, size_t len, size_t i, bool *nul) {
  for (; i < len && text[i] != '"'; i++) {
    if (text[i] != '\\')
      continue;
    if (i + 5 < len && text[i + 1] == 'u' && memcmp(text + i + 2, "0000", 4) == 0)
      *nul = true;
    i++;
  }
  return i;
}

/* Whether "\u0000" appears at all (a config has few backslashes: memchr skips to each): the
 * walk below, a third of a parse, runs only then */
static bool maybe_nul_escape(const char *text, size_t len) {
  const char *end = text + len;
  for (const char *p = text; (p = memchr(p, '\\', (size_t)(end - p))) != NULL; p++)
    if (end - p >= 6 && memcmp(p + 1, "u0000", 5) == 0)
      return true;
  return false;
}

static bool nul_string_path(const char *text, size_t len, char *path, size_t size) {
  struct scan_frame f[JSON_MAX_DEPTH + 1];
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    char ch = text[i];
    struct scan_frame *top = n ? &f[n - 1] : NULL;
    if (ch == '"') {
      bool nul = false;
      size_t end = scan_string(text, len, i + 1, &nul);
      if (top && !top->array && top->expect_key) {
        top->key = text + i + 1;
        top->key_len = end - i - 1;
      }
      if (nul) {
        frames_path(f, n, path, size);
        return true;
      }
      i = end;
    } else if ((ch == '{' || ch == '[') && n <= JSON_MAX_DEPTH) {
      f[n++] = (struct scan_frame){.array = ch == '[', .expect_key = ch == '{'};
    } else if ((ch == '}' || ch == ']') && n > 0) {
      n--;
    } else if (ch == ',' && top) {
      top->index++;
      top->expect_key = !top->array;
    } else if (ch == ':' && top) {
      top->expect_key = false;
    }
  }
  return false;
}

/* yajl's messages as a sentence of ours: "parse error: " and "lexical error: " go (the
 * position says more), and so does a final period. */
static void tidy_message(char *msg) {
  char *nl = strchr(msg, '\n'); /* a verbose message spans lines: keep the first */
  if (nl)
    *nl = '\0';
  static const char *const prefixes[] = {"parse error: ", "lexical error: "};
  for (size_t i = 0; i < 2; i++) {
    size_t n = strlen(prefixes[i]);
    if (strncmp(msg, prefixes[i], n) == 0)
      memmove(msg, msg + n, strlen(msg + n) + 1);
  }
  size_t n = strlen(msg);
  while (n > 0 && (msg[n - 1] == '.' || msg[n - 1] == ' '))
    msg[--n] = '\0';
  if (strcmp(msg, "premature EOF") == 0)
    strcpy(msg, "unexpected end of input");
}

/* A syntax error with its line, column and the line with a caret (json_where.c). yajl's tree
 * parser does not say where it stopped: the text is parsed again, without building anything,
 * by a parser configured as yajl_tree_parse configures its own. */
static int syntax_error(const char *text, size_t len, char *msg, struct berr **err) {
  tidy_message(msg);
  yajl_handle h = yajl_alloc(NULL, NULL, NULL);
  if (h == NULL)
    return berr_code(err, EINVAL, "invalid json: %s", msg);
  yajl_config(h, yajl_allow_comments, 1);
  bool at_end = yajl_parse(h, (const unsigned char *)text, len) == yajl_status_ok;
  size_t offset = yajl_get_bytes_consumed(h);
  bool failed = !at_end || yajl_complete_parse(h) != yajl_status_ok;
  yajl_free(h);
  struct json_where w;
  if (!failed || json_where(text, len, offset, at_end, &w) < 0)
    return berr_code(err, EINVAL, "invalid json: %s", msg);
  int width = snprintf(NULL, 0, "%zu", w.line);
  berr_code(err, EINVAL, "invalid json at line %zu, column %zu: %s\n %zu | %s\n %*s | %s", w.line,
            w.column, msg, w.line, w.excerpt, width, "", w.caret);
  json_where_free(&w);
  return -1;
}

int json_parse(const char *text, size_t len, json_node **out, struct berr **err) {
  if (too_deep(text, len))
    return berr_code(err, EINVAL, "invalid json: nested deeper than %d levels", JSON_MAX_DEPTH);
  char where[512];
  if (maybe_nul_escape(text, len) && nul_string_path(text, len, where, sizeof(where)))
    return berr_code(err, EINVAL, "%s%sa string holds a NUL character (\\u0000): refused",
                     where, where[0] ? ": " : "");
  char *buf = malloc(len + 1);
  if (buf == NULL)
    return berr_set(err, ENOMEM, "parse json");
  memcpy(buf, text, len);
  buf[len] = '\0';
  if (strlen(buf) != len) {
    free(buf);
    return berr_code(err, EINVAL, "invalid json: NUL byte in input");
  }
  char errbuf[1024] = "";
  yajl_val v = yajl_tree_parse(buf, errbuf, sizeof(errbuf));
  free(buf);
  if (v == NULL)
    return syntax_error(text, len, errbuf[0] ? errbuf : strcpy(errbuf, "parse error"), err);
  *out = (json_node *)v;
  return 0;
}

/* ---- json_lookup_string: one string, without building the tree ---- */

struct lookup {
  const char *const *path;
  size_t n, depth, matched; /* open containers; how many of them are path[0..matched-1]'s */
  bool key_ok;              /* the last key at this depth is the path's next one */
  int result;               /* 0 absent, 1 found, -1 the path's value is not a string */
  char *found;
};

/* a value at the path's end: only a string (or null, as absent) is one */
static bool at_target(const struct lookup *l) {
  return l->key_ok && l->depth == l->matched && l->depth == l->n;
}

static int lk_other(void *ctx) {
  struct lookup *l = ctx;
  if (at_target(l) && l->result == 0)
    l->result = -1;
  l->key_ok = false;
  return 1;
}

static int lk_null(void *ctx) {
  ((struct lookup *)ctx)->key_ok = false;
  return 1;
}

static int lk_bool(void *ctx, int b) {
  (void)b;
  return lk_other(ctx);
}

static int lk_number(void *ctx, const char *s, size_t len) {
  (void)s, (void)len;
  return lk_other(ctx);
}

static int lk_string(void *ctx, const unsigned char *s, size_t len) {
  struct lookup *l = ctx;
  if (at_target(l) && l->result == 0) {
    /* a NUL inside: json_parse() refuses the document */
    l->found = memchr(s, '\0', len) ? NULL : strndup((const char *)s, len);
    l->result = l->found ? 1 : -1;
  }
  l->key_ok = false;
  return 1;
}

static int lk_key(void *ctx, const unsigned char *s, size_t len) {
  struct lookup *l = ctx;
  l->key_ok = l->depth == l->matched && l->depth >= 1 && l->depth <= l->n &&
              strlen(l->path[l->depth - 1]) == len && memcmp(s, l->path[l->depth - 1], len) == 0;
  return 1;
}

static int lk_open(struct lookup *l, bool map) {
  if (at_target(l) && l->result == 0)
    l->result = -1;
  bool on = map && l->depth == l->matched && l->depth < l->n && (l->depth == 0 || l->key_ok);
  if (++l->depth > JSON_MAX_DEPTH)
    return 0;
  if (on)
    l->matched = l->depth;
  l->key_ok = false;
  return 1;
}

static int lk_start_map(void *ctx) {
  return lk_open(ctx, true);
}

static int lk_start_array(void *ctx) {
  return lk_open(ctx, false);
}

static int lk_end(void *ctx) {
  struct lookup *l = ctx;
  if (l->matched == l->depth)
    l->matched--;
  l->depth--;
  l->key_ok = false;
  return 1;
}

static const yajl_callbacks lookup_callbacks = {
    .yajl_null = lk_null,
    .yajl_boolean = lk_bool,
    .yajl_number = lk_number,
    .yajl_string = lk_string,
    .yajl_start_map = lk_start_map,
    .yajl_map_key = lk_key,
    .yajl_end_map = lk_end,
    .yajl_start_array = lk_start_array,
    .yajl_end_array = lk_end,
};

int json_lookup_string(const char *text, size_t len, const char *const *path, size_t n,
                       char **out) {
  struct lookup l = {.path = path, .n = n};
  *out = NULL;
  yajl_handle h = yajl_alloc(&lookup_callbacks, NULL, &l);
  if (h == NULL)
    return -1;
  yajl_config(h, yajl_allow_comments, 1); /* as yajl_tree_parse */
  bool ok = yajl_parse(h, (const unsigned char *)text, len) == yajl_status_ok &&
            yajl_complete_parse(h) == yajl_status_ok;
  yajl_free(h);
  if (!ok || l.result < 0) {
    free(l.found);
    return -1;
  }
  *out = l.found;
  return l.result;
}

void json_free(json_node *root) {
  if (root)
    yajl_tree_free(Y(root));
}

void json_free_cleanup(json_node **root) {
  json_free(*root);
  *root = NULL;
}

enum json_type json_type_of(const json_node *n) {
  switch (Y(n)->type) {
  case yajl_t_string:
    return JSON_STRING;
  case yajl_t_number:
    return JSON_NUMBER;
  case yajl_t_object:
    return JSON_OBJECT;
  case yajl_t_array:
    return JSON_ARRAY;
  case yajl_t_true:
  case yajl_t_false:
    return JSON_BOOL;
  default:
    return JSON_NULL;
  }
}

const char *json_type_name(enum json_type t) {
  static const char *const names[] = {"null", "boolean", "number", "string", "array", "object"};
  return names[t];
}

size_t json_object_len(const json_node *obj) {
  return YAJL_IS_OBJECT(Y(obj)) ? Y(obj)->u.object.len : 0;
}
const char *json_object_key(const json_node *obj, size_t i) { return Y(obj)->u.object.keys[i]; }
const json_node *json_object_value(const json_node *obj, size_t i) {
  return (const json_node *)Y(obj)->u.object.values[i];
}

const json_node *json_get(const json_node *obj, const char *key) {
  if (obj == NULL || !YAJL_IS_OBJECT(Y(obj)))
    return NULL;
  /* the last duplicate wins, as in most JSON readers */
  for (size_t i = Y(obj)->u.object.len; i > 0; i--)
    if (strcmp(Y(obj)->u.object.keys[i - 1], key) == 0)
      return (const json_node *)Y(obj)->u.object.values[i - 1];
  return NULL;
}

size_t json_array_len(const json_node *arr) {
  return YAJL_IS_ARRAY(Y(arr)) ? Y(arr)->u.array.len : 0;
}
const json_node *json_array_at(const json_node *arr, size_t i) {
  return (const json_node *)Y(arr)->u.array.values[i];
}

const char *json_string(const json_node *n) { return Y(n)->u.string; }
bool json_bool(const json_node *n) { return YAJL_IS_TRUE(Y(n)); }
const char *json_number_text(const json_node *n) { return Y(n)->u.number.r; }
double json_double(const json_node *n) { return Y(n)->u.number.d; }

static bool is_integer_text(const char *s) {
  if (*s == '-')
    s++;
  if (!*s)
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

int json_int64(const json_node *n, int64_t *out) {
  const char *s = json_number_text(n);
  if (!is_integer_text(s))
    return -1;
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (errno || *end)
    return -1;
  *out = v;
  return 0;
}

int json_uint64(const json_node *n, uint64_t *out) {
  const char *s = json_number_text(n);
  if (!is_integer_text(s) || *s == '-')
    return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end)
    return -1;
  *out = v;
  return 0;
}

/* ---- writer ---- */
struct json_writer {
  yajl_gen g;
  bool failed, pretty;
  char *text; /* json_writer_text's, when pretty */
};

json_writer *json_writer_new(bool pretty) {
  json_writer *w = calloc(1, sizeof(*w));
  if (w == NULL)
    return NULL;
  w->g = yajl_gen_alloc(NULL);
  if (w->g == NULL) {
    free(w);
    return NULL;
  }
  w->pretty = pretty;
  yajl_gen_config(w->g, yajl_gen_beautify, pretty ? 1 : 0);
  if (pretty)
    yajl_gen_config(w->g, yajl_gen_indent_string, "\t");
  return w;
}

void json_writer_free(json_writer *w) {
  if (w == NULL)
    return;
  yajl_gen_free(w->g);
  free(w->text);
  free(w);
}

void json_writer_cleanup(json_writer **w) {
  json_writer_free(*w);
  *w = NULL;
}

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != yajl_gen_status_ok)                                                              \
      w->failed = true;                                                                            \
  } while (0)

void jw_object_begin(json_writer *w) { CHECK(yajl_gen_map_open(w->g)); }
void jw_object_end(json_writer *w) { CHECK(yajl_gen_map_close(w->g)); }
void jw_array_begin(json_writer *w) { CHECK(yajl_gen_array_open(w->g)); }
void jw_array_end(json_writer *w) { CHECK(yajl_gen_array_close(w->g)); }
void jw_key(json_writer *w, const char *key) {
  CHECK(yajl_gen_string(w->g, (const unsigned char *)key, strlen(key)));
}
void jw_string(json_writer *w, const char *s) {
  if (s == NULL)
    CHECK(yajl_gen_null(w->g));
  else
    CHECK(yajl_gen_string(w->g, (const unsigned char *)s, strlen(s)));
}
void jw_int(json_writer *w, int64_t v) { CHECK(yajl_gen_integer(w->g, v)); }
void jw_uint(json_writer *w, uint64_t v) {
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
  CHECK(yajl_gen_number(w->g, buf, n));
}
void jw_bool(json_writer *w, bool v) { CHECK(yajl_gen_bool(w->g, v)); }
void jw_null(json_writer *w) { CHECK(yajl_gen_null(w->g)); }
void jw_kv_string(json_writer *w, const char *key, const char *s) {
  jw_key(w, key);
  jw_string(w, s);
}
void jw_kv_int(json_writer *w, const char *key, int64_t v) {
  jw_key(w, key);
  jw_int(w, v);
}
void jw_kv_uint(json_writer *w, const char *key, uint64_t v) {
  jw_key(w, key);
  jw_uint(w, v);
}
void jw_kv_bool(json_writer *w, const char *key, bool v) {
  jw_key(w, key);
  jw_bool(w, v);
}

/* yajl's beautify writes an empty object as "{", a blank line, the indent and "}" (and an
 * empty array so): a copy of the text with them as "{}" and "[]". */
static char *squeeze_empty(const char *in, size_t len, size_t *out_len) {
  char *out = malloc(len + 1), *o = out;
  if (out == NULL)
    return NULL;
  bool in_string = false;
  for (size_t i = 0; i < len; i++) {
    char ch = in[i];
    *o++ = ch;
    if (in_string) {
      if (ch == '\\' && i + 1 < len)
        *o++ = in[++i];
      else if (ch == '"')
        in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '{' || ch == '[') {
      size_t j = i + 1;
      while (j < len && strchr(" \t\n", in[j]))
        j++;
      if (j < len && in[j] == (ch == '{' ? '}' : ']')) {
        *o++ = in[j];
        i = j;
      }
    }
  }
  *o = '\0';
  *out_len = (size_t)(o - out);
  return out;
}

const char *json_writer_text(json_writer *w, size_t *len) {
  const unsigned char *buf = NULL;
  size_t l = 0;
  if (w->failed || yajl_gen_get_buf(w->g, &buf, &l) != yajl_gen_status_ok)
    return NULL;
  if (w->pretty) {
    free(w->text);
    if ((w->text = squeeze_empty((const char *)buf, l, &l)) == NULL)
      return NULL;
    buf = (const unsigned char *)w->text;
  }
  if (len)
    *len = l;
  return (const char *)buf;
}

void jw_node(json_writer *w, const json_node *n) {
  switch (json_type_of(n)) {
  case JSON_NULL:
    jw_null(w);
    break;
  case JSON_BOOL:
    jw_bool(w, json_bool(n));
    break;
  case JSON_NUMBER: {
    int64_t i;
    uint64_t u;
    if (json_int64(n, &i) == 0)
      jw_int(w, i);
    else if (json_uint64(n, &u) == 0)
      jw_uint(w, u);
    else /* the writer has no floats: their text, as a string */
      jw_string(w, json_number_text(n));
    break;
  }
  case JSON_STRING:
    jw_string(w, json_string(n));
    break;
  case JSON_ARRAY:
    jw_array_begin(w);
    for (size_t i = 0; i < json_array_len(n); i++)
      jw_node(w, json_array_at(n, i));
    jw_array_end(w);
    break;
  case JSON_OBJECT:
    jw_object_begin(w);
    for (size_t i = 0; i < json_object_len(n); i++) {
      jw_key(w, json_object_key(n, i));
      jw_node(w, json_object_value(n, i));
    }
    jw_object_end(w);
    break;
  }
}
