/* cgroup v2 device rules as an eBPF program (the kernel's replacement for the v1 devices
 * controller). Layout of the program, one block per rule, the rules in reverse order so that the
 * first block that matches is the config's last matching rule:
 *
 *   r2 = ctx->access_type & 0xffff   (BPF_DEVCG_DEV_CHAR / _BLOCK)
 *   r3 = ctx->access_type >> 16      (BPF_DEVCG_ACC_* asked for)
 *   r4 = ctx->major, r5 = ctx->minor
 *   block i: if r2 != type goto next; access test; if r4 != major goto next;
 *            if r5 != minor goto next; r0 = allow; exit
 *   r0 = 0; exit                      (default deny)
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
#define JMP_IMM(op, d, i) INSN(BPF_JMP | (op) | BPF_K, d, 0, 0, i) /* off set per block */
#define JMP_REG(op, d, s) INSN(BPF_JMP | (op) | BPF_X, d, s, 0, 0)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)
#define BLOCK_MAX 10

static int access_bits(const char *a) {
  int bits = 0;
  for (const char *p = a && *a ? a : "rwm"; *p; p++)
    bits |= *p == 'r' ? BPF_DEVCG_ACC_READ : *p == 'w' ? BPF_DEVCG_ACC_WRITE
                                                       : BPF_DEVCG_ACC_MKNOD;
  return bits;
}

/* One rule's block into b; returns its length. Jumps go to the first instruction after it. */
static size_t rule_block(const struct spec_device_cgroup *r, struct bpf_insn *b) {
  size_t n = 0;
  int acc = access_bits(r->access);
  if (r->type != 'a')
    b[n++] = JMP_IMM(BPF_JNE, BPF_REG_2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
  if (acc != ACC_ALL) {
    b[n++] = MOV32_REG(BPF_REG_1, BPF_REG_3);
    b[n++] = ALU32_IMM(BPF_AND, BPF_REG_1, acc);
    /* allow: everything asked for is allowed (r1 == r3); deny: something asked for is denied */
    b[n++] = r->allow ? JMP_REG(BPF_JNE, BPF_REG_1, BPF_REG_3) : JMP_IMM(BPF_JEQ, BPF_REG_1, 0);
  }
  if (r->major >= 0)
    b[n++] = JMP_IMM(BPF_JNE, BPF_REG_4, (int32_t)r->major);
  if (r->minor >= 0)
    b[n++] = JMP_IMM(BPF_JNE, BPF_REG_5, (int32_t)r->minor);
  b[n++] = ALU32_IMM(BPF_MOV, BPF_REG_0, r->allow ? 1 : 0);
  b[n++] = EXIT();
  for (size_t i = 0; i < n; i++)
    if (BPF_CLASS(b[i].code) == BPF_JMP && BPF_OP(b[i].code) != BPF_EXIT)
      b[i].off = (int16_t)(n - i - 1);
  return n;
}

int cg_bpf_devices_build(const struct spec_device_cgroup *rules, size_t n, struct bpf_insn **out,
                         size_t *len, struct berr **err) {
  struct bpf_insn *p = calloc(6 + (n + 1) * BLOCK_MAX, sizeof(*p));
  if (p == NULL)
    return berr_set(err, ENOMEM, "linux.resources.devices");
  size_t k = 0;
  bool total = false;
  p[k++] = LDX_W(BPF_REG_2, BPF_REG_1, 0);
  p[k++] = ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff);
  p[k++] = LDX_W(BPF_REG_3, BPF_REG_1, 0);
  p[k++] = ALU32_IMM(BPF_RSH, BPF_REG_3, 16);
  p[k++] = LDX_W(BPF_REG_4, BPF_REG_1, 4);
  p[k++] = LDX_W(BPF_REG_5, BPF_REG_1, 8);
  for (size_t i = n; i-- > 0;) {
    const struct spec_device_cgroup *r = &rules[i];
    if ((r->type != 'a' && r->type != 'c' && r->type != 'b') || r->major > UINT32_MAX ||
        r->minor > UINT32_MAX) {
      free(p);
      return berr_set(err, EINVAL, "linux.resources.devices[%zu]: invalid rule", i);
    }
    size_t bl = rule_block(r, p + k);
    k += bl;
    /* a rule that matches everything decides alone: what follows it would be unreachable,
     * which the verifier rejects */
    if ((total = bl == 2))
      break;
  }
  if (!total) {
    p[k++] = ALU32_IMM(BPF_MOV, BPF_REG_0, 0);
    p[k++] = EXIT();
  }
  *out = p;
  *len = k;
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

int cg_bpf_devices_attach(int cgroup_fd, const struct spec_device_cgroup *rules, size_t n,
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
  cleanup_close int prog = (int)bpf(BPF_PROG_LOAD, &load);
  if (prog < 0) {
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
  union bpf_attr att = {0};
  att.target_fd = (uint32_t)cgroup_fd;
  att.attach_bpf_fd = (uint32_t)prog;
  att.attach_type = BPF_CGROUP_DEVICE;
  att.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &att) < 0)
    return berr_errno(err, "linux.resources.devices: attach the eBPF device program");
  log_debug("cgroup: eBPF device program attached (%zu rules, %zu instructions)", n, len);
  return 0;
}

int cg_v2_devices(const struct cgroup *cg, const struct spec *spec, struct berr **err) {
  const struct cg_hier *h = &cg->h[0];
  cleanup_free struct spec_device_cgroup *rules = NULL;
  size_t n = 0;
  if (cg_device_rules(spec, &rules, &n, err) < 0)
    return -1;
  cleanup_close int fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berr_errno(err, "linux.resources.devices: open %s", h->dir);
  return cg_bpf_devices_attach(fd, rules, n, err);
}
