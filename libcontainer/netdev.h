/* linux.netDevices: host network interfaces moved into the container's
 * network namespace by the runtime (rtnetlink), once the init's namespace
 * exists and before the init goes on. */
#ifndef BERTH_NETDEV_H
#define BERTH_NETDEV_H

#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* Before anything is started: the config has a network namespace, every
 * name fits IFNAMSIZ and has no '/', and every host interface exists. */
int netdev_validate(const struct spec *s, struct berr **err);

/* Moves each linux.netDevices entry into the network namespace of `pid`,
 * renamed to its `name` (a "%d" template lets the kernel pick a free one),
 * re-adds its permanent global addresses there (the kernel drops addresses on
 * a move) and sets it up. Errors name linux.netDevices["<host name>"]. */
int netdev_move_all(const struct spec_linux *lx, pid_t pid, struct berr **err);

/* Init, in a new network namespace: sets its loopback up, as runc does (a new namespace's lo
 * is down: 127.0.0.1 unreachable). One socket and two ioctls. */
int netdev_loopback_up(struct berr **err);

#endif
