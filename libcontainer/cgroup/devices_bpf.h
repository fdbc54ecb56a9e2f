/* cgroup v2 device rules: a BPF_PROG_TYPE_CGROUP_DEVICE program built in-process from
 * linux.resources.devices-style rules and attached to a cgroup directory. Exported for the
 * unit test; the rest of berth goes through cgroup_create(). */
#ifndef BERTH_CGROUP_DEVICES_BPF_H
#define BERTH_CGROUP_DEVICES_BPF_H

#include <linux/bpf.h>
#include <stddef.h>

#include "../error.h"
#include "../spec.h"

/* The program for rules (in config order): default deny, then the rules where the last one that
 * matches decides, as the v1 devices controller reads them. An allow rule matches when the access
 * asked for is within its access ("rw" does not allow "m"); a deny rule when they share a letter.
 * Type 'a' matches both kinds; major/minor -1 is any. *out is malloc'ed. */
int cg_bpf_devices_build(const struct spec_device_cgroup *rules, size_t n, struct bpf_insn **out,
                         size_t *len, struct berr **err);
/* Builds and loads (bpf(BPF_PROG_LOAD): the verifier's walk, most of the cost) the program;
 * *prog is its fd. */
int cg_bpf_devices_load(const struct spec_device_cgroup *rules, size_t n, int *prog,
                        struct berr **err);
/* Attaches a loaded program to the cgroup open as cgroup_fd (BPF_CGROUP_DEVICE,
 * BPF_F_ALLOW_MULTI). */
int cg_bpf_devices_attach_prog(int cgroup_fd, int prog, struct berr **err);
/* Both: builds, loads and attaches the program to the cgroup open as cgroup_fd
 * (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI). */
int cg_bpf_devices_attach(int cgroup_fd, const struct spec_device_cgroup *rules, size_t n,
                          struct berr **err);

#endif
