/* linux.resources on a pure cgroup v2 host (runc's conversions from the v1-shaped spec). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../log.h"
#include "internal.h"

#define F "linux.resources."

/* The unified hierarchy when ctl is enabled for the container's cgroup, else NULL + error. */
static const struct cg_hier *v2(const struct cgroup *cg, const char *ctl, const char *field,
                                struct berr **err) {
  const struct cg_hier *h = &cg->h[0];
  if (!cg_list_has(h->ctls, ctl)) {
    cg_missing(field, ctl, true, err);
    return NULL;
  }
  return h;
}

uint64_t cg_v2_cpu_weight(uint64_t shares) {
  uint64_t s = shares < 2 ? 2 : shares > 262144 ? 262144 : shares;
  return 1 + ((s - 2) * 9999) / 262142;
}

static int write_max(const char *dir, const char *file, int64_t v, const char *field,
                     struct berr **err) {
  if (v < 0)
    return cg_write(dir, file, "max", field, err);
  return cg_writef(dir, file, field, err, "%lld", (long long)v);
}

int cg_v2_swap_value(const struct spec_memory *m, int64_t *out, struct berr **err) {
  int64_t limit = m->has_limit ? m->limit : 0, swap = m->swap;
  if (limit == -1 && swap == 0)
    *out = -1;
  else if (swap == -1 || swap == 0)
    *out = swap;
  else if (limit == 0 || limit == -1)
    return berr_set(err, EINVAL, F "memory.swap: cannot set a swap limit without a memory limit");
  else if (swap < limit)
    return berr_set(err, EINVAL, F "memory.swap: %lld is below memory.limit %lld (swap is "
                                   "memory + swap)",
                    (long long)swap, (long long)limit);
  else
    *out = swap - limit;
  return 0;
}

static int memory(const struct cgroup *cg, const struct spec_memory *m, struct berr **err) {
  if (m->has_swappiness)
    log_warn(F "memory.swappiness: ignored on cgroup v2");
  if (m->has_disable_oom_killer && m->disable_oom_killer)
    log_warn(F "memory.disableOOMKiller: ignored on cgroup v2");
  if (m->has_kernel || m->has_kernel_tcp)
    log_warn(F "memory.kernel/kernelTCP: ignored on cgroup v2");
  if (!(m->has_limit || m->has_reservation || m->has_swap))
    return 0;
  const struct cg_hier *h = v2(cg, "memory", F "memory", err);
  if (h == NULL)
    return -1;
  /* swap first: memory.swap.max does not depend on memory.max, and a later limit error
   * should name the limit */
  if (m->has_swap) {
    int64_t sv = 0;
    if (cg_v2_swap_value(m, &sv, err) < 0)
      return -1;
    if (sv != 0 || m->swap > 0) { /* 0 alone is "unset"; swap == limit disables swap */
      if (!cg_file_exists(h->dir, "memory.swap.max"))
        return berr_set(err, ENOTSUP, F "memory.swap: the kernel has no swap accounting "
                                      "(memory.swap.max)");
      if (write_max(h->dir, "memory.swap.max", sv, F "memory.swap", err) < 0)
        return -1;
    }
  }
  /* 0 is "no limit" to runc */
  if (m->has_limit && m->limit != 0 &&
      write_max(h->dir, "memory.max", m->limit, F "memory.limit", err) < 0)
    return -1;
  if (m->has_reservation &&
      write_max(h->dir, "memory.low", m->reservation, F "memory.reservation", err) < 0)
    return -1;
  return 0;
}

static int cpu(const struct cgroup *cg, const struct spec_cpu *c, struct berr **err) {
  if ((c->has_realtime_period && c->realtime_period) ||
      (c->has_realtime_runtime && c->realtime_runtime))
    return berr_set(err, ENOTSUP, F "cpu.realtimePeriod/realtimeRuntime: not supported on "
                                  "cgroup v2");
  if (c->has_shares || c->has_quota || c->has_period || c->has_burst || c->has_idle) {
    const struct cg_hier *h = v2(cg, "cpu", F "cpu", err);
    if (h == NULL)
      return -1;
    if (c->has_shares && c->shares != 0) {
      if (cg_writef(h->dir, "cpu.weight", F "cpu.shares", err, "%llu",
                    (unsigned long long)cg_v2_cpu_weight(c->shares)) < 0)
        return -1;
    }
    if (c->has_quota || c->has_period) {
      char q[32] = "max";
      if (c->has_quota && c->quota > 0)
        snprintf(q, sizeof(q), "%lld", (long long)c->quota);
      const char *field = c->has_quota ? F "cpu.quota" : F "cpu.period";
      int rc = c->has_period && c->period
                   ? cg_writef(h->dir, "cpu.max", field, err, "%s %llu", q,
                               (unsigned long long)c->period)
                   : cg_write(h->dir, "cpu.max", q, field, err);
      if (rc < 0)
        return -1;
    }
    if (c->has_burst && cg_writef(h->dir, "cpu.max.burst", F "cpu.burst", err, "%llu",
                                  (unsigned long long)c->burst) < 0)
      return -1;
    if (c->has_idle && cg_writef(h->dir, "cpu.idle", F "cpu.idle", err, "%lld",
                                 (long long)c->idle) < 0)
      return -1;
  }
  return cg_apply_cpuset(cg, c, v2, err);
}

static int io_max(const char *dir, const char *key, const char *field,
                  const struct spec_throttle_device *t, size_t n, struct berr **err) {
  for (size_t i = 0; i < n; i++) {
    char f[96];
    snprintf(f, sizeof(f), "%s[%zu]", field, i);
    if (cg_writef(dir, "io.max", f, err, "%lld:%lld %s=%llu", (long long)t[i].major,
                  (long long)t[i].minor, key, (unsigned long long)t[i].rate) < 0)
      return -1;
  }
  return 0;
}

static int io(const struct cgroup *cg, const struct spec_block_io *b, struct berr **err) {
  const struct cg_hier *h = v2(cg, "io", F "blockIO", err);
  if (h == NULL)
    return -1;
  if (b->has_weight && b->weight != 0 &&
      cg_writef(h->dir, "io.weight", F "blockIO.weight", err, "default %u", b->weight) < 0)
    return -1;
  if (b->has_leaf_weight)
    log_warn(F "blockIO.leafWeight: ignored on cgroup v2");
  for (size_t i = 0; i < b->weight_device_len; i++) {
    const struct spec_weight_device *w = &b->weight_device[i];
    char f[96];
    snprintf(f, sizeof(f), F "blockIO.weightDevice[%zu]", i);
    if (w->has_weight && cg_writef(h->dir, "io.weight", f, err, "%lld:%lld %u",
                                   (long long)w->major, (long long)w->minor, w->weight) < 0)
      return -1;
  }
  if (io_max(h->dir, "rbps", F "blockIO.throttleReadBpsDevice", b->throttle_read_bps,
             b->throttle_read_bps_len, err) < 0 ||
      io_max(h->dir, "wbps", F "blockIO.throttleWriteBpsDevice", b->throttle_write_bps,
             b->throttle_write_bps_len, err) < 0 ||
      io_max(h->dir, "riops", F "blockIO.throttleReadIOPSDevice", b->throttle_read_iops,
             b->throttle_read_iops_len, err) < 0 ||
      io_max(h->dir, "wiops", F "blockIO.throttleWriteIOPSDevice", b->throttle_write_iops,
             b->throttle_write_iops_len, err) < 0)
    return -1;
  return 0;
}

int cg_v2_apply(const struct cgroup *cg, const struct spec_resources *r, struct berr **err) {
  if (r == NULL)
    return 0;
  if (r->memory && memory(cg, r->memory, err) < 0)
    return -1;
  if (r->cpu && cpu(cg, r->cpu, err) < 0)
    return -1;
  if (r->has_pids_limit) {
    const struct cg_hier *h = v2(cg, "pids", F "pids.limit", err);
    if (h == NULL || write_max(h->dir, "pids.max", r->pids_limit <= 0 ? -1 : r->pids_limit,
                               F "pids.limit", err) < 0)
      return -1;
  }
  if (r->block_io && io(cg, r->block_io, err) < 0)
    return -1;
  if (cg_apply_hugetlb(cg, r, err) < 0)
    return -1;
  if (r->network && (r->network->has_class_id || r->network->priorities_len))
    return berr_set(err, ENOTSUP, F "network: cgroup v2 has no net_cls/net_prio controller");
  if (cg_apply_rdma(cg, r, err) < 0)
    return -1;
  return cg_v2_unified(cg, r, err);
}
