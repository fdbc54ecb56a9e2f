/* berth update: change a live container's cgroup limits, from a linux.resources JSON object
 * (--resources FILE, "-" for stdin, as podman and docker send it) and runc's flags, which
 * override the file's values; --l3-cache-schema and --mem-bw-schema write its resctrl group's
 * schemata (linux.intelRdt). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "spec.h"
#include "util.h"

enum {
  OPT_MEMORY = 256, OPT_SWAP, OPT_RESERVATION, OPT_SHARES, OPT_QUOTA, OPT_PERIOD, OPT_CPUS,
  OPT_MEMS, OPT_PIDS, OPT_BLKIO, OPT_RT_PERIOD, OPT_RT_RUNTIME, OPT_IDLE, OPT_L3, OPT_MB
};

static const struct option opts[] = {
    {"resources", required_argument, NULL, 'r'},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"memory-swap", required_argument, NULL, OPT_SWAP},
    {"memory-reservation", required_argument, NULL, OPT_RESERVATION},
    {"cpu-shares", required_argument, NULL, OPT_SHARES},
    {"cpu-quota", required_argument, NULL, OPT_QUOTA},
    {"cpu-period", required_argument, NULL, OPT_PERIOD},
    {"cpuset-cpus", required_argument, NULL, OPT_CPUS},
    {"cpuset-mems", required_argument, NULL, OPT_MEMS},
    {"pids-limit", required_argument, NULL, OPT_PIDS},
    {"blkio-weight", required_argument, NULL, OPT_BLKIO},
    {"cpu-rt-period", required_argument, NULL, OPT_RT_PERIOD},
    {"cpu-rt-runtime", required_argument, NULL, OPT_RT_RUNTIME},
    {"cpu-idle", required_argument, NULL, OPT_IDLE},
    {"l3-cache-schema", required_argument, NULL, OPT_L3},
    {"mem-bw-schema", required_argument, NULL, OPT_MB},
    {NULL, 0, NULL, 0}};

/* "-1", or bytes with an optional binary suffix: 512, 64k, 64m, 1g, 1.5g, 100MiB, 2 GB. */
static int parse_size(const char *s, int64_t *out) {
  if (strcmp(s, "-1") == 0) {
    *out = -1;
    return 0;
  }
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno || v < 0 || *s < '0' || *s > '9')
    return -1;
  end += *end == ' ';
  double mult = 1;
  const char *units = "kmgtp", *u = *end ? strchr(units, *end | 0x20) : NULL;
  if (u) {
    for (const char *q = units; q <= u; q++)
      mult *= 1024;
    end++;
    end += (*end | 0x20) == 'i';
  }
  end += (*end | 0x20) == 'b';
  if (*end != '\0' || v * mult > 9.2e18)
    return -1;
  *out = (int64_t)(v * mult);
  return 0;
}

static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end || errno || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

static int read_resources(const char *file, struct spec_resources **res, struct berr **err) {
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (strcmp(file, "-") == 0) {
    if (read_fd_all(STDIN_FILENO, "stdin", &text, &len, err) < 0)
      return berr_prefix(err, "--resources -");
  } else if (read_file_at(AT_FDCWD, file, &text, &len, err) < 0) {
    return berr_prefix(err, "--resources");
  }
  if (spec_parse_resources(text, len, res, err) < 0)
    return berr_prefix(err, "--resources %s", file);
  return 0;
}

#define ENSURE(p)                                                                                  \
  do {                                                                                             \
    if ((p) == NULL && ((p) = calloc(1, sizeof(*(p)))) == NULL)                                    \
      return -1;                                                                                   \
  } while (0)

/* One flag into res; -1 when the value is invalid (or out of memory). */
static int apply_flag(struct spec_resources *res, int c, const char *v) {
  int64_t n = 0;
  bool size = c == OPT_MEMORY || c == OPT_SWAP || c == OPT_RESERVATION;
  if (size && parse_size(v, &n) < 0)
    return -1;
  if (c == OPT_MEMORY || c == OPT_SWAP || c == OPT_RESERVATION)
    ENSURE(res->memory);
  if (c == OPT_SHARES || c == OPT_QUOTA || c == OPT_PERIOD || c == OPT_CPUS || c == OPT_MEMS ||
      c == OPT_RT_PERIOD || c == OPT_RT_RUNTIME || c == OPT_IDLE)
    ENSURE(res->cpu);
  switch (c) {
  case OPT_MEMORY: res->memory->limit = n, res->memory->has_limit = true; return 0;
  case OPT_SWAP: res->memory->swap = n, res->memory->has_swap = true; return 0;
  case OPT_RESERVATION: res->memory->reservation = n, res->memory->has_reservation = true; return 0;
  case OPT_SHARES:
    if (parse_int(v, 0, INT64_MAX, &n) < 0)
      return -1;
    res->cpu->shares = (uint64_t)n, res->cpu->has_shares = true;
    return 0;
  case OPT_QUOTA:
    if (parse_int(v, -1, INT64_MAX, &n) < 0)
      return -1;
    res->cpu->quota = n, res->cpu->has_quota = true;
    return 0;
  case OPT_PERIOD:
    if (parse_int(v, 0, INT64_MAX, &n) < 0)
      return -1;
    res->cpu->period = (uint64_t)n, res->cpu->has_period = true;
    return 0;
  case OPT_RT_PERIOD:
    if (parse_int(v, 0, INT64_MAX, &n) < 0)
      return -1;
    res->cpu->realtime_period = (uint64_t)n, res->cpu->has_realtime_period = true;
    return 0;
  case OPT_RT_RUNTIME:
    if (parse_int(v, -1, INT64_MAX, &n) < 0)
      return -1;
    res->cpu->realtime_runtime = n, res->cpu->has_realtime_runtime = true;
    return 0;
  case OPT_IDLE:
    if (parse_int(v, 0, 1, &n) < 0)
      return -1;
    res->cpu->idle = n, res->cpu->has_idle = true;
    return 0;
  case OPT_CPUS: free(res->cpu->cpus); return (res->cpu->cpus = strdup(v)) ? 0 : -1;
  case OPT_MEMS: free(res->cpu->mems); return (res->cpu->mems = strdup(v)) ? 0 : -1;
  case OPT_PIDS:
    if (parse_int(v, -1, INT64_MAX, &n) < 0)
      return -1;
    res->pids_limit = n, res->has_pids_limit = true;
    return 0;
  case OPT_BLKIO:
    if (parse_int(v, 0, 1000, &n) < 0)
      return -1;
    ENSURE(res->block_io);
    res->block_io->weight = (uint16_t)n, res->block_io->has_weight = true;
    return 0;
  }
  return -1;
}

/* runc's update contract, which Docker and containerd rely on: they send the whole
 * resources object, 0 (or "") for every value they do not change (docker update
 * --memory sends cpu.period 0, cpu.shares 0, cpus ""). Writing those would fail
 * (cfs_period_us 0: EINVAL, memory limit 0: EBUSY) or clear a limit: leave them. */
static void drop_unchanged(struct spec_resources *res) {
  struct spec_memory *m = res->memory;
  if (m) {
    m->has_limit &= m->limit != 0;
    m->has_reservation &= m->reservation != 0;
    m->has_swap &= m->swap != 0;
    m->has_kernel &= m->kernel != 0;
    m->has_kernel_tcp &= m->kernel_tcp != 0;
  }
  struct spec_cpu *c = res->cpu;
  if (c) {
    c->has_shares &= c->shares != 0;
    c->has_quota &= c->quota != 0;
    c->has_period &= c->period != 0;
    c->has_realtime_runtime &= c->realtime_runtime != 0;
    c->has_realtime_period &= c->realtime_period != 0;
    if (c->cpus && c->cpus[0] == '\0')
      free(steal_ptr(&c->cpus));
    if (c->mems && c->mems[0] == '\0')
      free(steal_ptr(&c->mems));
  }
  res->has_pids_limit &= res->pids_limit != 0;
  if (res->block_io)
    res->block_io->has_weight &= res->block_io->weight != 0;
}

int cmd_update(const struct global_opts *g, int argc, char **argv) {
  const char *file = NULL, *l3 = NULL, *mb = NULL;
  struct {
    int c;
    const char *v;
  } flags[32];
  size_t nflags = 0;
  int c, idx;
  cli_reorder_flags(argc, argv, "+r:", opts); /* flags after the id, as runc */
  while ((c = getopt_long(argc, argv, "+r:", opts, &idx)) != -1) {
    if (c == 'r')
      file = optarg;
    else if (c == OPT_L3)
      l3 = optarg;
    else if (c == OPT_MB)
      mb = optarg;
    else if (c >= OPT_MEMORY && c <= OPT_IDLE && nflags < 32)
      flags[nflags++] = (typeof(flags[0])){c, optarg};
    else
      return cli_bad_option("update", argv);
  }
  if (cli_expect_args("update", argc, argv, optind, 1))
    return 1;
  cleanup_berr struct berr *err = NULL;
  struct spec_resources *res = NULL;
  if (file && read_resources(file, &res, &err) < 0)
    return cli_fail(err);
  if (res == NULL && (res = calloc(1, sizeof(*res))) == NULL)
    return cli_fail(NULL);
  for (size_t i = 0; i < nflags; i++) {
    if (apply_flag(res, flags[i].c, flags[i].v) < 0) {
      const char *name = "?";
      for (const struct option *o = opts; o->name; o++)
        if (o->val == flags[i].c)
          name = o->name;
      spec_resources_free(res);
      return cli_usage_error("update", "--%s: invalid value \"%s\"", name, flags[i].v);
    }
  }
  drop_unchanged(res);
  /* the intelRdt flags first (a container without intelRdt fails before any cgroup write);
   * alone, they change no cgroup */
  int r = l3 || mb ? container_update_intel_rdt(g->root, argv[optind], l3, mb, &err) : 0;
  if (r == 0 && (file || nflags > 0 || (l3 == NULL && mb == NULL)))
    r = container_update(g->root, argv[optind], res, &err);
  spec_resources_free(res);
  return r < 0 ? cli_fail(err) : 0;
}
