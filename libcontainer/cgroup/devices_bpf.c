/* cgroup v2 device rules as an eBPF program (the kernel's replacement for the v1 devices
 * controller). The config's last matching rule decides, default deny: the program tests the
 * rules from the last one back, and the first that matches returns its decision.
 *
 *   r2 = ctx->access_type & 0xffff   (BPF_DEVCG_DEV_CHAR / _BLOCK)
 *   r3 = ctx->access_type >> 16      (BPF_DEVCG_ACC_* asked for)
 *   r4 = ctx->major, r5 = ctx->minor
 *   then one "run" after the other: consecutive rules (in that order) with the same decision,
 *   whose order among themselves does not matter (any match gives the same answer). In a run,
 *   the rules of one type share one type test, and rules for all access to one major:minor
 *   share the major test:
 *     if type != c goto next type;     rule: access test; major test; minor test; goto match
 *     if major != 1 goto next major; if minor == 3 goto match; if minor == 5 goto match ...
 *     ...; goto next run; match: r0 = decision; exit
 *   r0 = 0; exit                       (default deny)
 *
 * The verifier walks every path; its cost (about 1 us per instruction walked here) is most of
 * create's eBPF time. Fewer tests, and tests on a copy in r1 (match_imm), keep the walk short:
 * the berth spec defaults took 64 instructions walked 195 times (~250 us a load), one block per
 * rule testing r2-r5 themselves, so that each block was walked again for every way of failing
 * the ones before.
 */
#include "devices_bpf.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../log.h"
#include "internal.h"

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ALU32_IMM(op, d, i) INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define MOV32_REG(d, s) INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define JMP_IMM(op, d, i) INSN(BPF_JMP | (op) | BPF_K, d, 0, 0, i) /* off patched later */
#define JA() INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

static int access_bits(const char *a) {
  int bits = 0;
  for (const char *p = a && *a ? a : "rwm"; *p; p++)
    bits |= *p == 'r' ? BPF_DEVCG_ACC_READ : *p == 'w' ? BPF_DEVCG_ACC_WRITE
                                                       : BPF_DEVCG_ACC_MKNOD;
  return bits;
}

/* The program being written; at most 12 instructions per rule plus 6 per run, 10 around. */
struct prog {
  struct bpf_insn *p;
  size_t k;
};

static size_t emit(struct prog *g, struct bpf_insn i) {
  g->p[g->k] = i;
  return g->k++;
}

/* The jump at `at` lands on the next instruction to be written. */
static void land(struct prog *g, size_t at) { g->p[at].off = (int16_t)(g->k - at - 1); }

/* A jump (returned, to land) unless reg == v. On a copy (r1 ^= v): the verifier then learns
 * nothing about r2-r5 on either branch, every path reaches the same later test in the same
 * state, and it walks it once. */
static size_t unless_equal(struct prog *g, int reg, int32_t v) {
  emit(g, MOV32_REG(BPF_REG_1, reg));
  emit(g, ALU32_IMM(BPF_XOR, BPF_REG_1, v));
  return emit(g, JMP_IMM(BPF_JNE, BPF_REG_1, 0));
}

static bool exact(const struct spec_device_cgroup *r) {
  return access_bits(r->access) == ACC_ALL && r->major >= 0 && r->minor >= 0;
}

/* One rule of a run without its type test: a jump to match when it matches; false when it
 * matches every device of the type (the rest of the type's rules need no code). */
static bool emit_rule(struct prog *g, const struct spec_device_cgroup *r, size_t *match,
                      size_t *nmatch) {
  size_t miss[3], nmiss = 0;
  int acc = access_bits(r->access);
  if (acc != ACC_ALL) {
    /* allow: everything asked for is allowed (nothing outside acc); deny: something asked for
     * is denied */
    emit(g, MOV32_REG(BPF_REG_1, BPF_REG_3));
    emit(g, ALU32_IMM(BPF_AND, BPF_REG_1, r->allow ? ~acc : acc));
    miss[nmiss++] = emit(g, r->allow ? JMP_IMM(BPF_JNE, BPF_REG_1, 0)
                                     : JMP_IMM(BPF_JEQ, BPF_REG_1, 0));
  }
  if (r->major >= 0)
    miss[nmiss++] = unless_equal(g, BPF_REG_4, (int32_t)r->major);
  if (r->minor >= 0)
    miss[nmiss++] = unless_equal(g, BPF_REG_5, (int32_t)r->minor);
  match[(*nmatch)++] = emit(g, JA());
  for (size_t i = 0; i < nmiss; i++)
    land(g, miss[i]);
  return nmiss > 0;
}

/* The exact rules of one type (rwm on one major:minor), major by major: one major test, then
 * the minors. */
static void emit_exact(struct prog *g, const struct spec_device_cgroup *rs, size_t n, char type,
                       size_t *match, size_t *nmatch) {
  for (size_t i = 0; i < n; i++) {
    const struct spec_device_cgroup *r = &rs[i];
    bool first = true;
    for (size_t j = 0; j < i && first; j++)
      first = !(rs[j].type == type && exact(&rs[j]) && rs[j].major == r->major);
    if (r->type != type || !exact(r) || !first)
      continue;
    size_t other_major = unless_equal(g, BPF_REG_4, (int32_t)r->major);
    /* the copy is not tied to r5 (xor 0), so r5 stays unrefined after a failed test */
    emit(g, MOV32_REG(BPF_REG_1, BPF_REG_5));
    emit(g, ALU32_IMM(BPF_XOR, BPF_REG_1, 0));
    for (size_t j = i; j < n; j++)
      if (rs[j].type == type && exact(&rs[j]) && rs[j].major == r->major)
        match[(*nmatch)++] = emit(g, JMP_IMM(BPF_JEQ, BPF_REG_1, (int32_t)rs[j].minor));
    land(g, other_major);
  }
}

/* One run: rules rs[0..n) with the same decision, none of them matching everything. */
static void emit_run(struct prog *g, const struct spec_device_cgroup *rs, size_t n, bool allow,
                     size_t *match) {
  size_t nmatch = 0;
  static const char types[] = {'a', 'c', 'b'};
  for (size_t t = 0; t < sizeof(types); t++) {
    bool any = false;
    for (size_t i = 0; i < n && !any; i++)
      any = rs[i].type == types[t];
    if (!any)
      continue;
    size_t other_type = 0;
    if (types[t] != 'a')
      other_type = unless_equal(g, BPF_REG_2, types[t] == 'b' ? BPF_DEVCG_DEV_BLOCK
                                                            : BPF_DEVCG_DEV_CHAR);
    bool partial = true;
    for (size_t i = 0; i < n && partial; i++)
      if (rs[i].type == types[t] && !exact(&rs[i]))
        partial = emit_rule(g, &rs[i], match, &nmatch);
    if (partial)
      emit_exact(g, rs, n, types[t], match, &nmatch);
    if (types[t] != 'a')
      land(g, other_type);
  }
  size_t next = emit(g, JA());
  for (size_t i = 0; i < nmatch; i++)
    land(g, match[i]);
  emit(g, ALU32_IMM(BPF_MOV, BPF_REG_0, allow ? 1 : 0));
  emit(g, EXIT());
  land(g, next);
}

static bool matches_all(const struct spec_device_cgroup *r) {
  return r->type == 'a' && access_bits(r->access) == ACC_ALL && r->major < 0 && r->minor < 0;
}

static bool valid(const struct spec_device_cgroup *r) {
  return (r->type == 'a' || r->type == 'c' || r->type == 'b') && r->major <= UINT32_MAX &&
         r->minor <= UINT32_MAX;
}

int cg_bpf_devices_build(const struct spec_device_cgroup *rules, size_t n, struct bpf_insn **out,
                         size_t *len, struct berr **err) {
  struct prog g = {.p = calloc(10 + n * 18, sizeof(*g.p))};
  size_t *match = calloc(n + 1, sizeof(*match));
  if (g.p == NULL || match == NULL) {
    free(g.p);
    free(match);
    return berr_set(err, ENOMEM, "linux.resources.devices");
  }
  emit(&g, LDX_W(BPF_REG_2, BPF_REG_1, 0));
  emit(&g, ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff));
  emit(&g, LDX_W(BPF_REG_3, BPF_REG_1, 0));
  emit(&g, ALU32_IMM(BPF_RSH, BPF_REG_3, 16));
  emit(&g, LDX_W(BPF_REG_4, BPF_REG_1, 4));
  emit(&g, LDX_W(BPF_REG_5, BPF_REG_1, 8));
  bool total = false;
  for (size_t end = n; end > 0 && !total;) {
    size_t start = end;
    /* the run: back from end while the decision is the same; a rule that matches everything
     * decides alone (what would follow it is unreachable, which the verifier rejects) */
    while (start > 0 && rules[start - 1].allow == rules[end - 1].allow && !total) {
      start--;
      if (!valid(&rules[start])) {
        free(g.p);
        free(match);
        return berr_set(err, EINVAL, "linux.resources.devices[%zu]: invalid rule", start);
      }
      total = matches_all(&rules[start]);
    }
    if (total) {
      emit(&g, ALU32_IMM(BPF_MOV, BPF_REG_0, rules[start].allow ? 1 : 0));
      emit(&g, EXIT());
    } else {
      emit_run(&g, rules + start, end - start, rules[start].allow, match);
    }
    end = start;
  }
  if (!total) {
    emit(&g, ALU32_IMM(BPF_MOV, BPF_REG_0, 0));
    emit(&g, EXIT());
  }
  free(match);
  *out = g.p;
  *len = g.k;
  return 0;
}

static long bpf(int cmd, union bpf_attr *attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* Older kernels charge BPF programs to RLIMIT_MEMLOCK (newer ones to the memory cgroup): raise
 * the soft limit as far as allowed, never failing for it (no CAP_SYS_RESOURCE is common). */
static void raise_memlock(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0)
      log_debug("cgroup: setrlimit(RLIMIT_MEMLOCK): %s (ignored)", strerror(errno));
  }
}

int cg_bpf_devices_load(const struct spec_device_cgroup *rules, size_t n, int *prog,
                        struct berr **err) {
  cleanup_free struct bpf_insn *insns = NULL;
  size_t len = 0;
  if (cg_bpf_devices_build(rules, n, &insns, &len, err) < 0)
    return -1;
  raise_memlock();
  union bpf_attr load = {0};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (uintptr_t)insns;
  load.insn_cnt = (uint32_t)len;
  load.license = (uintptr_t) "Apache";
  *prog = (int)bpf(BPF_PROG_LOAD, &load);
  if (*prog < 0) {
    /* again with the verifier's log, for the error message */
    int e = errno;
    static char log_buf[8192];
    log_buf[0] = '\0';
    load.log_buf = (uintptr_t)log_buf;
    load.log_size = sizeof(log_buf);
    load.log_level = 1;
    bpf(BPF_PROG_LOAD, &load);
    return berr_set(err, e, "linux.resources.devices: load the eBPF device program%s%.300s%s",
                    log_buf[0] ? " (verifier: " : "", log_buf, log_buf[0] ? ")" : "");
  }
  log_debug("cgroup: eBPF device program loaded (%zu rules, %zu instructions)", n, len);
  return 0;
}

int cg_bpf_devices_attach_prog(int cgroup_fd, int prog, struct berr **err) {
  union bpf_attr att = {0};
  att.target_fd = (uint32_t)cgroup_fd;
  att.attach_bpf_fd = (uint32_t)prog;
  att.attach_type = BPF_CGROUP_DEVICE;
  att.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &att) < 0)
    return berr_errno(err, "linux.resources.devices: attach the eBPF device program");
  return 0;
}

int cg_bpf_devices_attach(int cgroup_fd, const struct spec_device_cgroup *rules, size_t n,
                          struct berr **err) {
  cleanup_close int prog = -1;
  if (cg_bpf_devices_load(rules, n, &prog, err) < 0)
    return -1;
  return cg_bpf_devices_attach_prog(cgroup_fd, prog, err);
}

int cg_v2_devices_load(const struct spec *spec, int *prog, struct berr **err) {
  cleanup_free struct spec_device_cgroup *rules = NULL;
  size_t n = 0;
  if (cg_device_rules(spec, &rules, &n, err) < 0)
    return -1;
  return cg_bpf_devices_load(rules, n, prog, err);
}

int cg_v2_devices_attach(const struct cgroup *cg, int prog, struct berr **err) {
  const char *dir = cg->h[0].dir;
  cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berr_errno(err, "linux.resources.devices: open %s", dir);
  return cg_bpf_devices_attach_prog(fd, prog, err);
}

int cg_v2_devices(const struct cgroup *cg, const struct spec *spec, struct berr **err) {
  cleanup_close int prog = -1;
  if (cg_v2_devices_load(spec, &prog, err) < 0)
    return -1;
  return cg_v2_devices_attach(cg, prog, err);
}
