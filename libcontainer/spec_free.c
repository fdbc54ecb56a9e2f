/* Releasing a struct spec. Every function accepts a partially parsed model:
 * arrays are calloc'ed with their length set up front, so unparsed slots
 * are all-zero and free() of their NULL members is harmless. */
#include <stdlib.h>

#include "spec.h"
#include "spec_internal.h"

void spec_string_list_free(struct spec_string_list *l) {
  for (size_t i = 0; l->items && l->items[i]; i++)
    free(l->items[i]);
  free(l->items);
  l->items = NULL;
  l->len = 0;
}

void spec_key_values_free(struct spec_key_value *kv, size_t len) {
  for (size_t i = 0; kv && i < len; i++) {
    free(kv[i].key);
    free(kv[i].value);
  }
  free(kv);
}

void spec_mount_free(struct spec_mount *m) {
  free(m->destination);
  free(m->source);
  free(m->type);
  spec_string_list_free(&m->options);
  free(m->uid_mappings);
  free(m->gid_mappings);
  free(m->data);
}

void spec_hook_list_free(struct spec_hook_list *h) {
  for (size_t i = 0; h->items && i < h->len; i++) {
    free(h->items[i].path);
    spec_string_list_free(&h->items[i].args);
    spec_string_list_free(&h->items[i].env);
  }
  free(h->items);
  h->items = NULL;
  h->len = 0;
}

void spec_process_free(struct spec_process *p) {
  if (p == NULL)
    return;
  free(p->console_size);
  free(p->cwd);
  spec_string_list_free(&p->args);
  free(p->command_line);
  spec_string_list_free(&p->env);
  free(p->user.additional_gids);
  free(p->user.username);
  free(p->capabilities);
  for (size_t i = 0; p->rlimits && i < p->rlimits_len; i++)
    free(p->rlimits[i].type);
  free(p->rlimits);
  free(p->apparmor_profile);
  free(p->selinux_label);
  free(p->scheduler);
  free(p->io_priority);
  if (p->exec_cpu_affinity) {
    free(p->exec_cpu_affinity->initial);
    free(p->exec_cpu_affinity->final);
    free(p->exec_cpu_affinity);
  }
  free(p);
}

static void block_io_free(struct spec_block_io *b) {
  if (b == NULL)
    return;
  free(b->weight_device);
  free(b->throttle_read_bps);
  free(b->throttle_write_bps);
  free(b->throttle_read_iops);
  free(b->throttle_write_iops);
  free(b);
}

void spec_resources_free(struct spec_resources *r) {
  if (r == NULL)
    return;
  for (size_t i = 0; r->devices && i < r->devices_len; i++)
    free(r->devices[i].access);
  free(r->devices);
  free(r->memory);
  if (r->cpu) {
    free(r->cpu->cpus);
    free(r->cpu->mems);
    free(r->cpu);
  }
  block_io_free(r->block_io);
  for (size_t i = 0; r->hugepage_limits && i < r->hugepage_limits_len; i++)
    free(r->hugepage_limits[i].page_size);
  free(r->hugepage_limits);
  if (r->network) {
    for (size_t i = 0; r->network->priorities && i < r->network->priorities_len; i++)
      free(r->network->priorities[i].name);
    free(r->network->priorities);
    free(r->network);
  }
  for (size_t i = 0; r->rdma && i < r->rdma_len; i++)
    free(r->rdma[i].device);
  free(r->rdma);
  spec_key_values_free(r->unified, r->unified_len);
  free(r);
}

static void seccomp_free(struct spec_seccomp *s) {
  if (s == NULL)
    return;
  free(s->default_action_name);
  free(s->architectures);
  free(s->listener_path);
  free(s->listener_metadata);
  for (size_t i = 0; s->syscalls && i < s->syscalls_len; i++) {
    spec_string_list_free(&s->syscalls[i].names);
    free(s->syscalls[i].action_name);
    free(s->syscalls[i].args);
  }
  free(s->syscalls);
  free(s);
}

void spec_linux_free(struct spec_linux *l) {
  if (l == NULL)
    return;
  for (size_t i = 0; l->namespaces && i < l->namespaces_len; i++)
    free(l->namespaces[i].path);
  free(l->namespaces);
  free(l->uid_mappings);
  free(l->gid_mappings);
  for (size_t i = 0; l->devices && i < l->devices_len; i++)
    free(l->devices[i].path);
  free(l->devices);
  for (size_t i = 0; l->net_devices && i < l->net_devices_len; i++) {
    free(l->net_devices[i].host_name);
    free(l->net_devices[i].name);
  }
  free(l->net_devices);
  free(l->cgroups_path);
  spec_resources_free(l->resources);
  seccomp_free(l->seccomp);
  spec_key_values_free(l->sysctl, l->sysctl_len);
  spec_string_list_free(&l->masked_paths);
  spec_string_list_free(&l->readonly_paths);
  free(l->mount_label);
  if (l->intel_rdt) {
    free(l->intel_rdt->clos_id);
    spec_string_list_free(&l->intel_rdt->schemata);
    free(l->intel_rdt->l3_cache_schema);
    free(l->intel_rdt->mem_bw_schema);
    free(l->intel_rdt);
  }
  if (l->personality) {
    spec_string_list_free(&l->personality->flags);
    free(l->personality);
  }
  if (l->memory_policy) {
    free(l->memory_policy->nodes);
    free(l->memory_policy);
  }
  free(l);
}

void spec_free(struct spec *s) {
  if (s == NULL)
    return;
  free(s->oci_version);
  free(s->root.path);
  spec_process_free(s->process);
  free(s->hostname);
  free(s->domainname);
  for (size_t i = 0; s->mounts && i < s->mounts_len; i++)
    spec_mount_free(&s->mounts[i]);
  free(s->mounts);
  struct spec_hook_list *hooks[] = {&s->hooks.prestart,        &s->hooks.create_runtime,
                                    &s->hooks.create_container, &s->hooks.start_container,
                                    &s->hooks.poststart,       &s->hooks.poststop};
  for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
    spec_hook_list_free(hooks[i]);
  spec_key_values_free(s->annotations, s->annotations_len);
  spec_linux_free(s->linux);
  free(s);
}

void spec_cleanup(struct spec **s) {
  spec_free(*s);
  *s = NULL;
}
