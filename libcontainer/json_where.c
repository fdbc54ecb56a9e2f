/* Where a JSON syntax error is, for a human: line, column and the line itself with a caret
 * under the offending token, as compilers show it. No yajl here: json.c finds the byte offset. */
#include "json_where.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXCERPT_MAX 72 /* columns of a long line shown around the error */

static bool is_punct(char c) { return strchr("{}[],:", c) != NULL; }
static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static bool utf8_start(char c) { return ((unsigned char)c & 0xc0) != 0x80; }

/* The start of the token that holds or ends at byte off: the parser stops just past a token
 * it does not expect, the lexer on the byte that breaks one. Comments (yajl allows them) are
 * skipped. */
static size_t token_start(const char *t, size_t len, size_t off) {
  size_t i = 0, last = 0;
  while (i < len && i < off) {
    if (is_space(t[i])) {
      i++;
    } else if (t[i] == '/' && i + 1 < len && t[i + 1] == '*') {
      const char *e = memmem(t + i + 2, len - i - 2, "*/", 2);
      i = e ? (size_t)(e - t) + 2 : len;
    } else if (t[i] == '/' && i + 1 < len && t[i + 1] == '/') {
      while (i < len && t[i] != '\n')
        i++;
    } else {
      last = i;
      if (t[i] == '"') {
        for (i++; i < len && t[i] != '"'; i++)
          if (t[i] == '\\')
            i++;
        i++;
      } else if (is_punct(t[i])) {
        i++;
      } else {
        while (i < len && !is_space(t[i]) && !is_punct(t[i]) && t[i] != '"')
          i++;
      }
    }
  }
  return last;
}

/* One more byte past the last one that is not white space: where "end of input" points. */
static size_t content_end(const char *t, size_t len) {
  while (len > 0 && is_space(t[len - 1]))
    len--;
  return len;
}

static size_t columns(const char *s, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    c += utf8_start(s[i]);
  return c;
}

int json_where(const char *text, size_t len, size_t offset, bool at_end, struct json_where *out) {
  memset(out, 0, sizeof(*out));
  if (offset > len)
    offset = len;
  size_t pos = at_end ? content_end(text, len) : token_start(text, len, offset);
  size_t ls = pos, le = pos;
  while (ls > 0 && text[ls - 1] != '\n')
    ls--;
  while (le < len && text[le] != '\n')
    le++;
  if (le > ls && text[le - 1] == '\r')
    le--;
  out->line = 1;
  for (size_t i = 0; i < ls; i++)
    out->line += text[i] == '\n';
  out->column = columns(text + ls, pos - ls) + 1;

  /* a long line (engines write config.json on one line): a window around the column */
  size_t ws = ls, we = le;
  if (columns(text + ls, le - ls) > EXCERPT_MAX) {
    if (pos > ls + EXCERPT_MAX / 2)
      ws = pos - EXCERPT_MAX / 2;
    while (ws < pos && !utf8_start(text[ws]))
      ws++;
    we = ws;
    for (size_t n = 0; we < le && n < EXCERPT_MAX; we++)
      n += utf8_start(text[we]);
    while (we < le && !utf8_start(text[we]))
      we++;
  }
  bool pre = ws > ls, post = we < le;
  size_t n = we - ws;
  char *line = malloc(n + 7), *caret = malloc(columns(text + ws, pos - ws) + 5);
  if (line == NULL || caret == NULL) {
    free(line);
    free(caret);
    return -1;
  }
  char *l = line, *c = caret;
  if (pre) {
    l = stpcpy(l, "...");
    c = stpcpy(c, "   ");
  }
  for (size_t i = ws; i < we; i++) /* control bytes would upset a terminal */
    *l++ = (unsigned char)text[i] < 0x20 && text[i] != '\t' ? '?' : text[i];
  if (post)
    l = stpcpy(l, "...");
  *l = '\0';
  for (size_t i = ws; i < pos; i++)
    if (utf8_start(text[i]))
      *c++ = text[i] == '\t' ? '\t' : ' ';
  strcpy(c, "^");
  out->excerpt = line;
  out->caret = caret;
  return 0;
}

void json_where_free(struct json_where *w) {
  free(w->excerpt);
  free(w->caret);
  w->excerpt = w->caret = NULL;
}
