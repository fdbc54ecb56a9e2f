/* Flags after the container id, as runc's command line parser (urfave/cli v1) accepts them:
 * before getopt, every argument that is one of the command's own flags (with its value) is
 * moved in front of the others, which keep their order; "--" ends the scan. An argument that
 * is not one of the command's flags (a negative number, an unknown "--x") stays where it is.
 * exec and ps do not call this: runc passes what follows the id to the process or to ps(1). */
#include <stdlib.h>
#include <string.h>
#include <getopt.h>

#include "cli.h"

/* 0: not a flag of the command; 1: a flag whose value is in the same argument or that takes
 * none; 2: a flag whose value is the next argument */
static int flag_kind(const char *a, const char *shortopts, const struct option *opts) {
  if (a[0] != '-' || a[1] == '\0')
    return 0;
  if (a[1] == '-') {
    const char *name = a + 2;
    size_t len = strcspn(name, "=");
    for (const struct option *o = opts; o && o->name; o++)
      if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
        return o->has_arg == required_argument && name[len] != '=' ? 2 : 1;
    return 0;
  }
  const char *s = a[1] != '+' && a[1] != ':' ? strchr(shortopts, a[1]) : NULL;
  if (s == NULL)
    return 0;
  if (s[1] != ':')
    return a[2] == '\0' ? 1 : 0; /* "-ab" clusters stay as they are */
  return a[2] == '\0' ? 2 : 1;
}

void cli_reorder_flags(int argc, char **argv, const char *shortopts, const struct option *opts) {
  char **moved = calloc((size_t)argc + 1, sizeof(*moved));
  char **rest = calloc((size_t)argc + 1, sizeof(*rest));
  size_t nm = 0, nr = 0;
  if (moved == NULL || rest == NULL)
    goto out; /* left as it is: getopt then stops at the id, as before */
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    int kind = flag_kind(argv[i], shortopts, opts);
    if (kind == 0) {
      rest[nr++] = argv[i];
      continue;
    }
    moved[nm++] = argv[i];
    if (kind == 2 && i + 1 < argc)
      moved[nm++] = argv[++i];
  }
  for (; i < argc; i++)
    rest[nr++] = argv[i];
  memcpy(argv + 1, moved, nm * sizeof(*argv));
  memcpy(argv + 1 + nm, rest, nr * sizeof(*argv));
out:
  free(moved);
  free(rest);
}
