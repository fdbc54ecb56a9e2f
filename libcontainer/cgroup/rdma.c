/* linux.resources.rdma (config-linux.md "RDMA"): one rdma.max line per device,
 * "<device> hca_handle=<n> hca_object=<m>", the same file on cgroup v1 (the rdma hierarchy) and
 * v2. A limit the config leaves out is written as "max", so the line states the device's whole
 * limits (update --resources included). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../cleanup.h"
#include "internal.h"

#define F "linux.resources.rdma"

bool cgroup_rdma_supported(void) { return true; }

static void limit(char *buf, size_t len, bool has, uint32_t v) {
  if (has)
    snprintf(buf, len, "%u", v);
  else
    snprintf(buf, len, "max");
}

static int write_device(const struct cg_hier *h, const struct spec_rdma *d, struct berr **err) {
  char field[128], handles[16], objects[16];
  snprintf(field, sizeof(field), F "[\"%s\"]", d->device);
  limit(handles, sizeof(handles), d->has_hca_handles, d->hca_handles);
  limit(objects, sizeof(objects), d->has_hca_objects, d->hca_objects);
  cleanup_berr struct berr *e = NULL;
  if (cg_writef(h->dir, "rdma.max", field, &e, "%s hca_handle=%s hca_object=%s", d->device,
                handles, objects) == 0)
    return 0;
  if (berr_errcode(&e) == ENODEV)
    return berr_code(err, ENODEV,
                     "%s: no rdma device \"%s\" on this host (the kernel refused it in %s/rdma.max;"
                     " see /sys/class/infiniband)",
                     field, d->device, h->dir);
  return berr_move(err, &e);
}

int cg_apply_rdma(const struct cgroup *cg, const struct spec_resources *r, struct berr **err) {
  if (r->rdma_len == 0)
    return 0;
  /* v1's rdma hierarchy first; on a hybrid host the unified one when it offers rdma */
  const struct cg_hier *h = cg_find(cg, "rdma");
  if (h == NULL)
    return cg_missing(F, "rdma", cg->unified, err);
  for (size_t i = 0; i < r->rdma_len; i++)
    if (write_device(h, &r->rdma[i], err) < 0)
      return -1;
  return 0;
}
