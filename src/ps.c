/* berth ps: the processes of a container (the pids in its cgroup), as ps(1) shows them or as a
 * JSON array of pids. Table mode runs the host's ps and keeps its header and the lines whose PID
 * column is one of the container's, like runc. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"

static int run_ps(char **args, int nargs, char **out, struct berr **err) {
  char *argv[nargs + 3]; /* "ps", the args or the default "-ef", NULL */
  char def[] = "-ef";
  argv[0] = "ps";
  for (int i = 0; i < nargs; i++)
    argv[i + 1] = args[i];
  if (nargs == 0)
    argv[++nargs] = def;
  argv[nargs + 1] = NULL;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return berr_errno(err, "ps: pipe");
  pid_t pid = fork();
  if (pid < 0) {
    berr_errno(err, "ps: fork");
    close(p[0]);
    close(p[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(p[1], STDOUT_FILENO);
    execvp("ps", argv);
    fprintf(stderr, "berth: ps: exec ps: %s\n", strerror(errno));
    _exit(127);
  }
  close(p[1]);
  size_t len = 0;
  FILE *mem = open_memstream(out, &len);
  char buf[4096];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
    if (n > 0 && mem)
      fwrite(buf, 1, (size_t)n, mem);
  close(p[0]);
  if (mem)
    fclose(mem);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (mem == NULL)
    return berr_set(err, ENOMEM, "ps");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return berr_set(err, 0, "ps %s failed (exit status %d)", argv[1],
                    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  return 0;
}

/* The index of the PID column in ps's header, -1 when there is none. */
static int pid_column(const char *header) {
  int col = 0;
  for (const char *p = header + strspn(header, " \t"); *p; col++) {
    size_t l = strcspn(p, " \t\n");
    if (l == 3 && strncmp(p, "PID", 3) == 0)
      return col;
    p += l;
    p += strspn(p, " \t");
  }
  return -1;
}

static bool line_pid_in(const char *line, int col, const pid_t *pids, size_t n) {
  const char *p = line + strspn(line, " \t");
  for (int i = 0; i < col && *p; i++) {
    p += strcspn(p, " \t");
    p += strspn(p, " \t");
  }
  char *end;
  long v = strtol(p, &end, 10);
  if (end == p || (*end != ' ' && *end != '\t' && *end != '\0'))
    return false;
  for (size_t i = 0; i < n; i++)
    if (pids[i] == v)
      return true;
  return false;
}

static int print_table(char **args, int nargs, const pid_t *pids, size_t n, struct berr **err) {
  cleanup_free char *out = NULL;
  if (run_ps(args, nargs, &out, err) < 0)
    return -1;
  char *save = NULL, *line = strtok_r(out, "\n", &save);
  int col = line ? pid_column(line) : -1;
  if (col < 0)
    return berr_set(err, 0, "ps: no PID column in the output of ps (give ps options that print it)");
  printf("%s\n", line);
  while ((line = strtok_r(NULL, "\n", &save)) != NULL)
    if (line_pid_in(line, col, pids, n))
      printf("%s\n", line);
  return 0;
}

static int compare_pids(const void *a, const void *b) {
  return *(const pid_t *)a - *(const pid_t *)b;
}

int cmd_ps(const struct global_opts *g, int argc, char **argv) {
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  const char *format = "table";
  int c;
  while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
    if (c == 'h')
      return cli_print_help("ps");
    if (c != 'f')
      return cli_usage_error("ps", "invalid option");
    format = optarg;
  }
  if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
    return cli_usage_error("ps", "--format: unknown format \"%s\" (table or json)", format);
  if (argc - optind < 1)
    return cli_usage_error("ps", "missing container id");
  cleanup_berr struct berr *err = NULL;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  if (container_pids(g->root, argv[optind], &pids, &n, &err) < 0)
    return cli_fail(err);
  if (n > 0) /* a stopped container has none, and pids may be NULL */
    qsort(pids, n, sizeof(*pids), compare_pids);
  if (strcmp(format, "json") == 0) {
    if (argc - optind > 1)
      return cli_usage_error("ps", "ps arguments cannot be used with --format json");
    printf("[");
    for (size_t i = 0; i < n; i++)
      printf("%s%d", i ? "," : "", (int)pids[i]);
    printf("]\n");
    return 0;
  }
  if (print_table(argv + optind + 1, argc - optind - 1, pids, n, &err) < 0)
    return cli_fail(err);
  return 0;
}
