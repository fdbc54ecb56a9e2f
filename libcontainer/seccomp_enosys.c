/* The ENOSYS stub put in front of the libseccomp program (see seccomp_enosys.h).
 *
 *   ld [4]                                  (arch)
 *   per architecture of the filter:
 *     jeq #AUDIT_ARCH, 0, next-arch
 *     ld [0]                                (nr)
 *     x86_64 only: jset #X32_BIT, x32, 0    (x32 calls come with the x86_64 arch)
 *     jgt #last, enosys, main               (or ja main when the profile names none)
 *     x32: jgt #last_x32, enosys, main
 *   ja main
 *   enosys: ret ERRNO(ENOSYS)
 *   main: the libseccomp program, which loads what it needs itself
 */
#include "seccomp_enosys.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <seccomp.h> /* libseccomp's (berth has no seccomp.h of its own) */

#define X32_BIT 0x40000000U
#define MAX_ARCHS 16
#define MAX_STUB (2 + MAX_ARCHS * 5 + 2)

struct arch_last {
  uint32_t audit;   /* what the kernel puts in seccomp_data.arch */
  int64_t last;     /* the highest number the profile names, -1: none */
  int64_t last_x32; /* x86_64 only: the same for x32 (SCMP_ARCH_X32 listed), -1: none */
};

/* A jump target not known yet: the ENOSYS return or the program's start. */
enum { TO_NEXT = -1, TO_ENOSYS = -2, TO_MAIN = -3 };

struct stub {
  struct sock_filter insn[MAX_STUB];
  int jt[MAX_STUB], jf[MAX_STUB]; /* absolute index, or TO_* (TO_NEXT: fall through) */
  size_t n;
};

static size_t put(struct stub *s, uint16_t code, uint32_t k, int jt, int jf) {
  s->insn[s->n] = (struct sock_filter){.code = code, .k = k};
  s->jt[s->n] = jt;
  s->jf[s->n] = jf;
  return s->n++;
}

static int64_t last_named(const struct spec_seccomp *sc, uint32_t arch) {
  int64_t last = -1;
  for (size_t i = 0; i < sc->syscalls_len; i++) {
    const struct spec_seccomp_syscall *c = &sc->syscalls[i];
    for (size_t j = 0; j < c->names.len && c->names.items && c->names.items[j]; j++) {
      int nr = seccomp_syscall_resolve_name_arch(arch, c->names.items[j]);
      if (nr >= 0 && nr > last) /* negative: a pseudo number, not on that arch */
        last = nr;
    }
  }
  return last;
}

/* The architectures the filter holds (native first, then linux.seccomp.architectures), x32
 * folded into x86_64's entry. */
static size_t collect(const struct spec_seccomp *sc, struct arch_last *a) {
  uint32_t tokens[MAX_ARCHS + 1];
  size_t nt = 0, n = 0;
  tokens[nt++] = seccomp_arch_native();
  for (size_t i = 0; i < sc->architectures_len && nt < MAX_ARCHS; i++)
    tokens[nt++] = sc->architectures[i];
  int64_t x32 = -1;
  for (size_t i = 0; i < nt; i++) {
    if (tokens[i] == SCMP_ARCH_X32) {
      x32 = last_named(sc, SCMP_ARCH_X32);
      continue;
    }
    bool dup = false;
    for (size_t k = 0; k < n; k++)
      dup = dup || a[k].audit == tokens[i];
    if (!dup)
      a[n++] = (struct arch_last){tokens[i], last_named(sc, tokens[i]), -1};
  }
  for (size_t k = 0; k < n; k++)
    if (a[k].audit == AUDIT_ARCH_X86_64)
      a[k].last_x32 = x32;
  return n;
}

/* jgt #last, enosys, main; or ja main when the profile names no call of the arch. */
static void check_last(struct stub *s, int64_t last) {
  if (last < 0)
    put(s, BPF_JMP | BPF_JA, 0, TO_MAIN, TO_MAIN);
  else
    put(s, BPF_JMP | BPF_JGT | BPF_K, (uint32_t)last, TO_ENOSYS, TO_MAIN);
}

static void build(struct stub *s, const struct arch_last *a, size_t n) {
  put(s, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), TO_NEXT, TO_NEXT);
  for (size_t i = 0; i < n; i++) {
    size_t jeq = put(s, BPF_JMP | BPF_JEQ | BPF_K, a[i].audit, TO_NEXT, TO_NEXT);
    put(s, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), TO_NEXT, TO_NEXT);
    if (a[i].audit == AUDIT_ARCH_X86_64) {
      size_t jset = put(s, BPF_JMP | BPF_JSET | BPF_K, X32_BIT, TO_NEXT, TO_NEXT);
      check_last(s, a[i].last);
      s->jt[jset] = (int)s->n;
      check_last(s, a[i].last_x32);
    } else {
      check_last(s, a[i].last);
    }
    s->jf[jeq] = (int)s->n; /* another arch: the next block */
  }
  put(s, BPF_JMP | BPF_JA, 0, TO_MAIN, TO_MAIN);
  size_t enosys = put(s, BPF_RET | BPF_K, SCMP_ACT_ERRNO(ENOSYS), TO_NEXT, TO_NEXT);
  size_t main = s->n;
  for (size_t i = 0; i < s->n; i++) {
    int t[2] = {s->jt[i], s->jf[i]};
    for (int k = 0; k < 2; k++)
      t[k] = t[k] == TO_NEXT ? (int)i + 1 : t[k] == TO_ENOSYS ? (int)enosys
                                        : t[k] == TO_MAIN     ? (int)main
                                                              : t[k];
    uint32_t off = (uint32_t)(t[0] - (int)i - 1);
    if (s->insn[i].code == (BPF_JMP | BPF_JA))
      s->insn[i].k = off;
    else if (BPF_CLASS(s->insn[i].code) == BPF_JMP) {
      s->insn[i].jt = (uint8_t)off; /* the stub is far shorter than 255 */
      s->insn[i].jf = (uint8_t)(t[1] - (int)i - 1);
    }
  }
}

bool seccomp_enosys_wanted(const struct spec_seccomp *sc, uint32_t def_act) {
  /* permissive defaults let a new call through anyway; ENOSYS is already the answer */
  return sc->syscalls_len > 0 && def_act != SCMP_ACT_ALLOW && def_act != SCMP_ACT_LOG &&
         def_act != SCMP_ACT_ERRNO(ENOSYS);
}

int seccomp_enosys_prepend(const struct spec_seccomp *sc, struct sock_filter **insns, size_t *len,
                           struct berr **err) {
  struct arch_last a[MAX_ARCHS];
  size_t n = collect(sc, a);
  struct stub s = {.n = 0};
  build(&s, a, n);
  if (*len + s.n > BPF_MAXINSNS)
    return berr_set(err, EINVAL, "linux.seccomp: BPF program of %zu instructions (at most %d)",
                    *len + s.n, BPF_MAXINSNS);
  struct sock_filter *p = malloc((*len + s.n) * sizeof(*p));
  if (p == NULL)
    return berr_errno(err, "linux.seccomp");
  memcpy(p, s.insn, s.n * sizeof(*p));
  memcpy(p + s.n, *insns, *len * sizeof(*p));
  free(*insns);
  *insns = p;
  *len += s.n;
  return 0;
}
