/* Capabilities of the container process: bounding set, capset(2), ambient set.
 * Raw syscalls/prctl rather than libcap so the masks of the config map 1:1 to
 * what the kernel sees (struct spec_capabilities is already bitmasks). */
#include "caps.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "tables.h"

#define CAP_BIT(c) (UINT64_C(1) << (c))

int caps_last_cap(void) {
  static int cached = -1;
  if (cached >= 0)
    return cached;
  int last = -1;
  cleanup_close int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[16] = {0};
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n > 0) {
      char *end = NULL;
      long v = strtol(buf, &end, 10);
      if (end != buf && v >= 0 && v < 64)
        last = (int)v;
    }
  }
  if (last < 0) {
    /* no /proc (or not mounted yet): probe the bounding set */
    last = 0;
    while (last < 63 && prctl(PR_CAPBSET_READ, (unsigned long)last + 1, 0, 0, 0) >= 0)
      last++;
  }
  cached = last;
  return cached;
}

static uint64_t known_mask(void) {
  int last = caps_last_cap();
  return last >= 63 ? UINT64_MAX : CAP_BIT(last + 1) - 1;
}

/* The capability's config name, or "CAP_<n>" for numbers outside the table. */
static const char *cap_str(int cap, char buf[16]) {
  const char *n = cap_name(cap);
  if (n != NULL)
    return n;
  snprintf(buf, 16, "CAP_%d", cap);
  return buf;
}

/* Warns about each capability of `set` the kernel does not know; returns the
 * set without them. */
static uint64_t mask_unknown(uint64_t set, const char *field) {
  uint64_t unknown = set & ~known_mask();
  for (int c = 0; c < 64 && unknown != 0; c++) {
    if (!(unknown & CAP_BIT(c)))
      continue;
    char buf[16];
    log_warn("process.capabilities.%s: %s is not known to the running kernel (cap_last_cap %d), "
             "skipped",
             field, cap_str(c, buf), caps_last_cap());
    unknown &= ~CAP_BIT(c);
  }
  return set & known_mask();
}

int caps_drop_bounding(const struct spec_capabilities *caps, struct berr **err) {
  if (caps == NULL)
    return 0;
  uint64_t keep = caps->has_bounding ? mask_unknown(caps->bounding, "bounding") : 0;
  int last = caps_last_cap();
  for (int c = 0; c <= last; c++) {
    if (keep & CAP_BIT(c))
      continue;
    /* dropping a dropped capability succeeds: no PR_CAPBSET_READ first (one
     * syscall per capability instead of two); READ only explains a failure */
    if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) == 0)
      continue;
    int saved = errno;
    if (saved == EINVAL)
      break; /* past the kernel's last capability */
    if (prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) == 0)
      continue; /* already dropped (and we may not drop: no CAP_SETPCAP) */
    char buf[16];
    return berr_set(err, saved, "process.capabilities.bounding: drop %s from the bounding set",
                    cap_str(c, buf));
  }
  return 0;
}

static int do_capset(uint64_t eff, uint64_t prm, uint64_t inh) {
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2] = {
      {.effective = (uint32_t)eff, .permitted = (uint32_t)prm, .inheritable = (uint32_t)inh},
      {.effective = (uint32_t)(eff >> 32),
       .permitted = (uint32_t)(prm >> 32),
       .inheritable = (uint32_t)(inh >> 32)},
  };
  return (int)syscall(SYS_capset, &hdr, data);
}

static int clear_ambient(struct berr **err) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return berr_errno(err, "process.capabilities.ambient: clear the ambient set");
  return 0;
}

static int clear_keepcaps(struct berr **err) {
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return berr_errno(err, "process.capabilities: clear keepcaps");
  return 0;
}

static int raise_ambient(uint64_t ambient, uint64_t permitted, uint64_t inheritable,
                         struct berr **err) {
  for (int c = 0; c < 64; c++) {
    if (!(ambient & CAP_BIT(c)))
      continue;
    char buf[16];
    if (!(permitted & inheritable & CAP_BIT(c))) {
      log_warn("process.capabilities.ambient: %s is not in both permitted and inheritable, "
               "skipped",
               cap_str(c, buf));
      continue;
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)c, 0, 0) < 0)
      return berr_errno(err, "process.capabilities.ambient: raise %s", cap_str(c, buf));
  }
  return 0;
}

int caps_apply(const struct spec_capabilities *caps, struct berr **err) {
  if (caps == NULL) {
    if (getuid() != 0 || geteuid() != 0) {
      /* keepcaps kept the permitted set across the switch: drop it as the kernel would */
      if (do_capset(0, 0, 0) < 0)
        return berr_errno(err, "process.capabilities: clear the capability sets");
      if (clear_ambient(err) < 0)
        return -1;
    }
    return clear_keepcaps(err);
  }

  uint64_t eff = caps->has_effective ? mask_unknown(caps->effective, "effective") : 0;
  uint64_t prm = caps->has_permitted ? mask_unknown(caps->permitted, "permitted") : 0;
  uint64_t inh = caps->has_inheritable ? mask_unknown(caps->inheritable, "inheritable") : 0;
  uint64_t amb = caps->has_ambient ? mask_unknown(caps->ambient, "ambient") : 0;

  if (eff & ~prm) {
    char buf[16];
    for (int c = 0; c < 64; c++)
      if (eff & ~prm & CAP_BIT(c))
        return berr_set(err, EINVAL,
                        "process.capabilities.effective: %s is not in the permitted set",
                        cap_str(c, buf));
  }
  if (do_capset(eff, prm, inh) < 0)
    return berr_errno(err,
                      "process.capabilities: capset (effective %#llx, permitted %#llx, "
                      "inheritable %#llx; permitted must already be held, inheritable within "
                      "the bounding set)",
                      (unsigned long long)eff, (unsigned long long)prm, (unsigned long long)inh);
  if (clear_ambient(err) < 0)
    return -1;
  if (raise_ambient(amb, prm, inh, err) < 0)
    return -1;
  return clear_keepcaps(err);
}
