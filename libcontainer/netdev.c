/* linux.netDevices over rtnetlink: see netdev.h. */
#include "netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#define NL_BUF 8192

/* ---- a tiny rtnetlink client ---- */

struct nlreq {
  union {
    struct nlmsghdr h;
    char raw[1024];
  };
};

static struct nlmsghdr *nl_begin(struct nlreq *r, uint16_t type, uint16_t flags, const void *hdr,
                                 size_t hdrlen) {
  static uint32_t seq;
  memset(r, 0, sizeof(*r));
  r->h.nlmsg_len = NLMSG_LENGTH(hdrlen);
  r->h.nlmsg_type = type;
  r->h.nlmsg_flags = NLM_F_REQUEST | flags;
  r->h.nlmsg_seq = ++seq;
  memcpy(NLMSG_DATA(&r->h), hdr, hdrlen);
  return &r->h;
}

static void nl_attr(struct nlreq *r, uint16_t type, const void *data, size_t len) {
  struct rtattr *a = (struct rtattr *)(r->raw + NLMSG_ALIGN(r->h.nlmsg_len));
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  memcpy(RTA_DATA(a), data, len);
  r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

typedef void (*nl_msg_fn)(const struct nlmsghdr *m, void *ctx);

/* Sends the request and reads until its ack (or the end of a dump), handing
 * every other message to fn. Returns 0, or -1 with errno from the kernel. */
static int nl_talk(int fd, struct nlmsghdr *req, nl_msg_fn fn, void *ctx) {
  if (send(fd, req, req->nlmsg_len, 0) < 0)
    return -1;
  cleanup_free char *buf = malloc(NL_BUF);
  if (buf == NULL)
    return -1;
  for (;;) {
    ssize_t n = recv(fd, buf, NL_BUF, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      errno = n < 0 ? errno : EPROTO;
      return -1;
    }
    for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, (size_t)n);
         m = NLMSG_NEXT(m, n)) {
      if (m->nlmsg_seq != req->nlmsg_seq)
        continue;
      if (m->nlmsg_type == NLMSG_DONE)
        return 0;
      if (m->nlmsg_type == NLMSG_ERROR) {
        int e = -((struct nlmsgerr *)NLMSG_DATA(m))->error;
        errno = e;
        return e ? -1 : 0;
      }
      if (fn)
        fn(m, ctx);
    }
  }
}

static int nl_open(void) {
  return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

/* A netlink socket of the network namespace nsfd: sockets stay in the
 * namespace they were created in, so enter it, create, and come back. */
static int nl_open_in(int nsfd, struct berr **err) {
  cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return berr_errno(err, "open /proc/self/ns/net");
  if (setns(nsfd, CLONE_NEWNET) < 0)
    return berr_errno(err, "enter the container's network namespace");
  int fd = nl_open();
  int e = errno;
  if (setns(self, CLONE_NEWNET) < 0)
    return berr_errno(err, "return to the runtime's network namespace");
  if (fd < 0)
    return berr_set(err, e, "netlink socket");
  return fd;
}

/* ---- addresses kept across the move ---- */

struct addr {
  struct ifaddrmsg ifa;
  unsigned char local[16], address[16], broadcast[4];
  size_t alen;
  bool has_local, has_address, has_broadcast;
};

struct addr_list {
  int ifindex;
  struct addr items[32];
  size_t len;
};

static void keep_addr(const struct nlmsghdr *m, void *ctx) {
  struct addr_list *l = ctx;
  const struct ifaddrmsg *ifa = NLMSG_DATA(m);
  if (m->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != l->ifindex ||
      ifa->ifa_scope != RT_SCOPE_UNIVERSE || l->len == sizeof(l->items) / sizeof(l->items[0]))
    return;
  struct addr a = {.ifa = *ifa};
  uint32_t flags = ifa->ifa_flags;
  int len = IFA_PAYLOAD(m);
  for (const struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
    size_t n = RTA_PAYLOAD(rta);
    if (rta->rta_type == IFA_FLAGS && n == 4)
      memcpy(&flags, RTA_DATA(rta), 4);
    else if (rta->rta_type == IFA_LOCAL && n <= 16)
      memcpy(a.local, RTA_DATA(rta), a.alen = n), a.has_local = true;
    else if (rta->rta_type == IFA_ADDRESS && n <= 16)
      memcpy(a.address, RTA_DATA(rta), a.alen = n), a.has_address = true;
    else if (rta->rta_type == IFA_BROADCAST && n == 4)
      memcpy(a.broadcast, RTA_DATA(rta), 4), a.has_broadcast = true;
  }
  if (flags & IFA_F_PERMANENT)
    l->items[l->len++] = a;
}

static int add_addr(int fd, const struct addr *a, int ifindex) {
  struct nlreq r;
  struct ifaddrmsg ifa = a->ifa;
  ifa.ifa_index = ifindex;
  ifa.ifa_flags &= IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_NOPREFIXROUTE;
  nl_begin(&r, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
  if (a->has_local)
    nl_attr(&r, IFA_LOCAL, a->local, a->alen);
  if (a->has_address)
    nl_attr(&r, IFA_ADDRESS, a->address, a->alen);
  if (a->has_broadcast)
    nl_attr(&r, IFA_BROADCAST, a->broadcast, 4);
  return nl_talk(fd, &r.h, NULL, NULL);
}

/* ---- links ---- */

static void read_ifindex(const struct nlmsghdr *m, void *ctx) {
  if (m->nlmsg_type == RTM_NEWLINK)
    *(int *)ctx = ((const struct ifinfomsg *)NLMSG_DATA(m))->ifi_index;
}

/* The ifindex of the link named `name` (or of index `index` when name is NULL). */
static int link_index(int fd, const char *name, int index) {
  struct nlreq r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = name ? 0 : index};
  nl_begin(&r, RTM_GETLINK, NLM_F_ACK, &ifi, sizeof(ifi));
  if (name)
    nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
  int found = 0;
  if (nl_talk(fd, &r.h, read_ifindex, &found) < 0)
    return -1;
  if (found <= 0) {
    errno = ENODEV;
    return -1;
  }
  return found;
}

static int link_move(int fd, int ifindex, int nsfd, const char *name) {
  struct nlreq r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
  nl_begin(&r, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof(ifi));
  uint32_t ns = (uint32_t)nsfd;
  nl_attr(&r, IFLA_NET_NS_FD, &ns, sizeof(ns));
  if (name)
    nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
  return nl_talk(fd, &r.h, NULL, NULL);
}

static int link_up(int fd, int ifindex) {
  struct nlreq r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = IFF_UP,
                          .ifi_change = IFF_UP};
  nl_begin(&r, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof(ifi));
  return nl_talk(fd, &r.h, NULL, NULL);
}

/* ---- the steps ---- */

static int collect_addrs(int fd, struct addr_list *l, struct berr **err) {
  struct nlreq r;
  struct ifaddrmsg ifa = {.ifa_family = AF_UNSPEC};
  nl_begin(&r, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof(ifa));
  if (nl_talk(fd, &r.h, keep_addr, l) < 0)
    return berr_errno(err, "list its addresses");
  return 0;
}

static int move_one(const struct spec_net_device *d, int host_nl, int nsfd, struct berr **err) {
  const char *name = d->name && *d->name ? d->name : d->host_name;
  struct addr_list addrs = {0};
  addrs.ifindex = link_index(host_nl, d->host_name, 0);
  if (addrs.ifindex < 0)
    return berr_errno(err, "no such network device on the host");
  if (collect_addrs(host_nl, &addrs, err) < 0)
    return -1;
  if (link_move(host_nl, addrs.ifindex, nsfd, name) < 0)
    return berr_errno(err, "move into the container's network namespace as \"%s\"%s", name,
                      errno == EEXIST ? " (the name is taken there; \"name%d\" lets the kernel "
                                        "pick one)"
                                      : "");
  cleanup_close int nl = nl_open_in(nsfd, err);
  if (nl < 0)
    return -1;
  /* a "%d" template: the kernel kept the ifindex unless it was taken */
  int idx = strchr(name, '%') ? link_index(nl, NULL, addrs.ifindex) : link_index(nl, name, 0);
  if (idx < 0)
    return berr_errno(err, "find \"%s\" in the container's network namespace", name);
  for (size_t i = 0; i < addrs.len; i++)
    if (add_addr(nl, &addrs.items[i], idx) < 0 && errno != EEXIST)
      return berr_errno(err, "restore address %zu in the container", i);
  if (link_up(nl, idx) < 0)
    return berr_errno(err, "set \"%s\" up", name);
  log_debug("linux.netDevices[\"%s\"]: moved as \"%s\" with %zu address(es)", d->host_name, name,
            addrs.len);
  return 0;
}

int netdev_move_all(const struct spec_linux *lx, pid_t pid, struct berr **err) {
  if (lx == NULL || lx->net_devices_len == 0)
    return 0;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
  cleanup_close int nsfd = open(path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0)
    return berr_errno(err, "linux.netDevices: open %s", path);
  cleanup_close int host_nl = nl_open();
  if (host_nl < 0)
    return berr_errno(err, "linux.netDevices: netlink socket");
  for (size_t i = 0; i < lx->net_devices_len; i++)
    if (move_one(&lx->net_devices[i], host_nl, nsfd, err) < 0)
      return berr_prefix(err, "linux.netDevices[\"%s\"]", lx->net_devices[i].host_name);
  return 0;
}

static int check_name(const char *field, const char *name, struct berr **err) {
  if (*name == '\0' || strlen(name) >= IFNAMSIZ || strchr(name, '/') || strchr(name, ' ') ||
      strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    return berr_code(err, EINVAL, "%s \"%s\": not a valid interface name (1 to %d characters, "
                     "no '/' or space)", field, name, IFNAMSIZ - 1);
  return 0;
}

int netdev_validate(const struct spec *s, struct berr **err) {
  const struct spec_linux *lx = s->linux;
  if (lx == NULL || lx->net_devices_len == 0)
    return 0;
  if (geteuid() != 0)
    return berr_code(err, EPERM, "linux.netDevices: moving host interfaces needs root "
                                 "(CAP_NET_ADMIN in the host's network namespace)");
  if (spec_find_namespace(s, NS_NETWORK) == NULL)
    return berr_code(err, EINVAL,
                     "linux.netDevices: needs a network namespace in linux.namespaces");
  for (size_t i = 0; i < lx->net_devices_len; i++) {
    const struct spec_net_device *d = &lx->net_devices[i];
    char field[IFNAMSIZ + 64];
    snprintf(field, sizeof(field), "linux.netDevices[\"%.*s\"]", IFNAMSIZ, d->host_name);
    if (check_name(field, d->host_name, err) < 0)
      return -1;
    if (d->name && *d->name) {
      strncat(field, ".name", sizeof(field) - strlen(field) - 1);
      if (check_name(field, d->name, err) < 0)
        return -1;
    }
    if (if_nametoindex(d->host_name) == 0)
      return berr_code(err, ENODEV, "linux.netDevices[\"%s\"]: no such network device on the host",
                       d->host_name);
  }
  return 0;
}

int netdev_loopback_up(struct berr **err) {
  cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berr_errno(err, "linux.namespaces: network: bring lo up: socket");
  /* the namespace was made by this create's clone and nothing has run in it: lo's flags
   * are the kernel's for a new lo (IFF_LOOPBACK alone), so no SIOCGIFFLAGS to read them */
  struct ifreq ifr = {.ifr_flags = IFF_UP | IFF_LOOPBACK};
  memcpy(ifr.ifr_name, "lo", 3);
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
    return berr_errno(err, "linux.namespaces: network: bring lo up");
  return 0;
}
