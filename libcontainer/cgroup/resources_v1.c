/* linux.resources on cgroup v1 hierarchies (and hugepageLimits on either version). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cleanup.h"
#include "../log.h"
#include "internal.h"

#define F "linux.resources."

/* The v1 hierarchy holding ctl, or NULL with the "not mounted" error set. */
static const struct cg_hier *v1(const struct cgroup *cg, const char *ctl, const char *field,
                                struct berr **err) {
  const struct cg_hier *h = cg_find(cg, ctl);
  if (h == NULL || h->v2) {
    cg_missing(field, ctl, false, err);
    return NULL;
  }
  return h;
}

static int write_swap(const char *dir, const struct spec_memory *m, struct berr **err) {
  if (!cg_file_exists(dir, "memory.memsw.limit_in_bytes"))
    return berr_set(err, ENOTSUP, F "memory.swap: the kernel has no swap accounting "
                                  "(memory.memsw.limit_in_bytes; boot with swapaccount=1)");
  return cg_writef(dir, "memory.memsw.limit_in_bytes", F "memory.swap", err, "%lld",
                   (long long)m->swap);
}

/* The kernel wants memory <= memory+swap at every step: when the new total is above the
 * current limit (or unlimited) it goes first, else the limit does (runc's order, which update
 * needs; at create both are unlimited). */
static int memory_and_swap(const char *dir, const struct spec_memory *m, struct berr **err) {
  bool swap_first = false;
  if (m->has_limit && m->has_swap) {
    cleanup_free char *cur = cg_read(dir, "memory.limit_in_bytes");
    swap_first = m->swap == -1 || (cur && strtoull(cur, NULL, 10) < (unsigned long long)m->swap);
  }
  if (swap_first && write_swap(dir, m, err) < 0)
    return -1;
  /* 0 is "no limit" to runc (and engines send it so): the limit a cgroup starts with */
  if (m->has_limit && m->limit != 0 &&
      cg_writef(dir, "memory.limit_in_bytes", F "memory.limit", err, "%lld",
                (long long)m->limit) < 0)
    return -1;
  if (m->has_swap && !swap_first && write_swap(dir, m, err) < 0)
    return -1;
  return 0;
}

static int memory(const struct cgroup *cg, const struct spec_memory *m, struct berr **err) {
  if (!(m->has_limit || m->has_reservation || m->has_swap || m->has_swappiness ||
        m->has_disable_oom_killer || m->has_kernel_tcp))
    return 0;
  const struct cg_hier *h = v1(cg, "memory", F "memory", err);
  if (h == NULL)
    return -1;
  if (memory_and_swap(h->dir, m, err) < 0)
    return -1;
  if (m->has_reservation && cg_writef(h->dir, "memory.soft_limit_in_bytes",
                                      F "memory.reservation", err, "%lld",
                                      (long long)m->reservation) < 0)
    return -1;
  if (m->has_swappiness && cg_writef(h->dir, "memory.swappiness", F "memory.swappiness", err,
                                     "%llu", (unsigned long long)m->swappiness) < 0)
    return -1;
  if (m->has_disable_oom_killer && m->disable_oom_killer &&
      cg_write(h->dir, "memory.oom_control", "1", F "memory.disableOOMKiller", err) < 0)
    return -1;
  if (m->has_kernel_tcp && cg_writef(h->dir, "memory.kmem.tcp.limit_in_bytes",
                                     F "memory.kernelTCP", err, "%lld",
                                     (long long)m->kernel_tcp) < 0)
    return -1;
  if (m->has_kernel)
    log_warn(F "memory.kernel: ignored (kernel memory limits are deprecated by the kernel)");
  return 0;
}

static int cpu(const struct cgroup *cg, const struct spec_cpu *c, struct berr **err) {
  if (c->has_shares || c->has_quota || c->has_period || c->has_burst || c->has_idle ||
      c->has_realtime_period || c->has_realtime_runtime) {
    const struct cg_hier *h = v1(cg, "cpu", F "cpu", err);
    if (h == NULL)
      return -1;
    if (c->has_shares && cg_writef(h->dir, "cpu.shares", F "cpu.shares", err, "%llu",
                                   (unsigned long long)c->shares) < 0)
      return -1;
    if (c->has_period && cg_writef(h->dir, "cpu.cfs_period_us", F "cpu.period", err, "%llu",
                                   (unsigned long long)c->period) < 0)
      return -1;
    /* quota 0 is "unset" to runc (the kernel refuses it) */
    if (c->has_quota && c->quota != 0 &&
        cg_writef(h->dir, "cpu.cfs_quota_us", F "cpu.quota", err, "%lld", (long long)c->quota) < 0)
      return -1;
    if (c->has_burst && cg_writef(h->dir, "cpu.cfs_burst_us", F "cpu.burst", err, "%llu",
                                  (unsigned long long)c->burst) < 0)
      return -1;
    if (c->has_idle && cg_writef(h->dir, "cpu.idle", F "cpu.idle", err, "%lld",
                                 (long long)c->idle) < 0)
      return -1;
    if (c->has_realtime_period && cg_writef(h->dir, "cpu.rt_period_us", F "cpu.realtimePeriod",
                                            err, "%llu",
                                            (unsigned long long)c->realtime_period) < 0)
      return -1;
    if (c->has_realtime_runtime &&
        cg_writef(h->dir, "cpu.rt_runtime_us", F "cpu.realtimeRuntime", err, "%lld",
                  (long long)c->realtime_runtime) < 0)
      return -1;
  }
  return cg_apply_cpuset(cg, c, v1, err);
}

static int throttle(const char *dir, const char *file, const char *field,
                    const struct spec_throttle_device *t, size_t n, struct berr **err) {
  for (size_t i = 0; i < n; i++) {
    char f[96];
    snprintf(f, sizeof(f), "%s[%zu]", field, i);
    if (cg_writef(dir, file, f, err, "%lld:%lld %llu", (long long)t[i].major,
                  (long long)t[i].minor, (unsigned long long)t[i].rate) < 0)
      return -1;
  }
  return 0;
}

static int blkio(const struct cgroup *cg, const struct spec_block_io *b, struct berr **err) {
  const struct cg_hier *h = v1(cg, "blkio", F "blockIO", err);
  if (h == NULL)
    return -1;
  /* without CFQ only BFQ's files exist; with neither scheduler (none, mq-deadline, kyber)
   * the kernel has no weight to set */
  bool cfq = cg_file_exists(h->dir, "blkio.weight");
  bool bfq = !cfq && cg_file_exists(h->dir, "blkio.bfq.weight");
  bool weights = (b->has_weight && b->weight != 0) || b->has_leaf_weight;
  for (size_t i = 0; i < b->weight_device_len; i++)
    weights |= b->weight_device[i].has_weight || b->weight_device[i].has_leaf_weight;
  if (weights && !cfq && !bfq)
    return berr_code(err, ENOTSUP,
                     F "blockIO: this kernel offers no blkio weight (neither blkio.weight nor "
                       "blkio.bfq.weight in %s: no cfq or bfq I/O scheduler)", h->dir);
  /* weight 0 is how engines say "default" (Docker sends it), as runc reads it */
  if (b->has_weight && b->weight != 0 && cg_writef(h->dir, bfq ? "blkio.bfq.weight" : "blkio.weight",
                                 F "blockIO.weight", err, "%u", b->weight) < 0)
    return -1;
  if (b->has_leaf_weight && cg_writef(h->dir, "blkio.leaf_weight", F "blockIO.leafWeight", err,
                                      "%u", b->leaf_weight) < 0)
    return -1;
  for (size_t i = 0; i < b->weight_device_len; i++) {
    const struct spec_weight_device *w = &b->weight_device[i];
    char f[96];
    snprintf(f, sizeof(f), F "blockIO.weightDevice[%zu]", i);
    if (w->has_weight && cg_writef(h->dir, bfq ? "blkio.bfq.weight_device" : "blkio.weight_device",
                                   f, err, "%lld:%lld %u", (long long)w->major,
                                   (long long)w->minor, w->weight) < 0)
      return -1;
    if (w->has_leaf_weight && cg_writef(h->dir, "blkio.leaf_weight_device", f, err,
                                        "%lld:%lld %u", (long long)w->major, (long long)w->minor,
                                        w->leaf_weight) < 0)
      return -1;
  }
  if (throttle(h->dir, "blkio.throttle.read_bps_device", F "blockIO.throttleReadBpsDevice",
               b->throttle_read_bps, b->throttle_read_bps_len, err) < 0 ||
      throttle(h->dir, "blkio.throttle.write_bps_device", F "blockIO.throttleWriteBpsDevice",
               b->throttle_write_bps, b->throttle_write_bps_len, err) < 0 ||
      throttle(h->dir, "blkio.throttle.read_iops_device", F "blockIO.throttleReadIOPSDevice",
               b->throttle_read_iops, b->throttle_read_iops_len, err) < 0 ||
      throttle(h->dir, "blkio.throttle.write_iops_device", F "blockIO.throttleWriteIOPSDevice",
               b->throttle_write_iops, b->throttle_write_iops_len, err) < 0)
    return -1;
  return 0;
}

static int network(const struct cgroup *cg, const struct spec_network *net, struct berr **err) {
  if (net->has_class_id) {
    const struct cg_hier *h = v1(cg, "net_cls", F "network.classID", err);
    if (h == NULL || cg_writef(h->dir, "net_cls.classid", F "network.classID", err, "%u",
                               net->class_id) < 0)
      return -1;
  }
  if (net->priorities_len) {
    const struct cg_hier *h = v1(cg, "net_prio", F "network.priorities", err);
    if (h == NULL)
      return -1;
    for (size_t i = 0; i < net->priorities_len; i++) {
      char f[96];
      snprintf(f, sizeof(f), F "network.priorities[%zu]", i);
      if (cg_writef(h->dir, "net_prio.ifpriomap", f, err, "%s %u", net->priorities[i].name,
                    net->priorities[i].priority) < 0)
        return -1;
    }
  }
  return 0;
}

int cg_apply_cpuset(const struct cgroup *cg, const struct spec_cpu *c, cg_lookup_fn lookup,
                    struct berr **err) {
  bool cpus = c->cpus && *c->cpus, mems = c->mems && *c->mems;
  if (!cpus && !mems)
    return 0;
  const struct cg_hier *h = lookup(cg, "cpuset", cpus ? F "cpu.cpus" : F "cpu.mems", err);
  if (h == NULL)
    return -1;
  if (cpus && cg_write(h->dir, "cpuset.cpus", c->cpus, F "cpu.cpus", err) < 0)
    return -1;
  if (mems && cg_write(h->dir, "cpuset.mems", c->mems, F "cpu.mems", err) < 0)
    return -1;
  return 0;
}

int cg_apply_hugetlb(const struct cgroup *cg, const struct spec_resources *r, struct berr **err) {
  if (r->hugepage_limits_len == 0)
    return 0;
  const struct cg_hier *h = cg_find(cg, "hugetlb");
  if (h == NULL)
    return cg_missing(F "hugepageLimits", "hugetlb", cg->unified, err);
  for (size_t i = 0; i < r->hugepage_limits_len; i++) {
    const struct spec_hugepage_limit *l = &r->hugepage_limits[i];
    char f[128], file[128];
    snprintf(f, sizeof(f), F "hugepageLimits[%zu]", i);
    if (strchr(l->page_size, '/') || strstr(l->page_size, ".."))
      return berr_set(err, EINVAL, "%s: invalid pageSize \"%s\"", f, l->page_size);
    snprintf(file, sizeof(file), h->v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes",
             l->page_size);
    if (!cg_file_exists(h->dir, file))
      return berr_set(err, EINVAL, "%s: pageSize \"%s\": the kernel has no %s", f, l->page_size,
                      file);
    if (cg_writef(h->dir, file, f, err, "%llu", (unsigned long long)l->limit) < 0)
      return -1;
  }
  return 0;
}

int cg_v1_apply(const struct cgroup *cg, const struct spec_resources *r, struct berr **err) {
  if (r == NULL)
    return 0;
  if (r->memory && memory(cg, r->memory, err) < 0)
    return -1;
  if (r->cpu && cpu(cg, r->cpu, err) < 0)
    return -1;
  if (r->has_pids_limit) {
    const struct cg_hier *h = v1(cg, "pids", F "pids.limit", err);
    if (h == NULL)
      return -1;
    int rc = r->pids_limit <= 0 ? cg_write(h->dir, "pids.max", "max", F "pids.limit", err)
                                : cg_writef(h->dir, "pids.max", F "pids.limit", err, "%lld",
                                            (long long)r->pids_limit);
    if (rc < 0)
      return -1;
  }
  if (r->block_io && blkio(cg, r->block_io, err) < 0)
    return -1;
  if (cg_apply_hugetlb(cg, r, err) < 0)
    return -1;
  if (r->network && network(cg, r->network, err) < 0)
    return -1;
  if (cg_apply_rdma(cg, r, err) < 0)
    return -1;
  return cg_v2_unified(cg, r, err);
}
