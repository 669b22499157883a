/* SPDX-License-Identifier: ISC */
/* netlink.c: just enough rtnetlink for net-bridge: one request, one answer. */
#include <sys/socket.h>
#include <sys/uio.h>
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ipam.h"
#include "netlink.h"

#ifndef RTEXT_FILTER_SKIP_STATS
#define RTEXT_FILTER_SKIP_STATS (1 << 3)
#endif

/* A request under construction; the union keeps it aligned. */
struct req {
	union {
		struct nlmsghdr h;
		char buf[1024];
	} u;
};

static void *
req_init(struct req *r, int type, int flags, size_t hdrlen)
{
	memset(r, 0, sizeof(*r));
	r->u.h.nlmsg_len = NLMSG_LENGTH(hdrlen);
	r->u.h.nlmsg_type = (unsigned short)type;
	r->u.h.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | flags);
	return NLMSG_DATA(&r->u.h);
}

/* Append an attribute; returns it (for nesting), or NULL when full. */
static struct rtattr *
put(struct req *r, int type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->u.h.nlmsg_len);
	struct rtattr *a;

	if (off + RTA_SPACE(len) > sizeof(r->u.buf))
		return NULL;
	a = (struct rtattr *)(r->u.buf + off);
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->u.h.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return a;
}

static int
put_u32(struct req *r, int type, uint32_t v)
{
	return put(r, type, &v, sizeof(v)) ? 0 : -1;
}

static int
put_str(struct req *r, int type, const char *s)
{
	return put(r, type, s, strlen(s) + 1) ? 0 : -1;
}

/* Close a nest opened with put(r, type, NULL, 0). */
static void
nest_end(struct req *r, struct rtattr *a)
{
	a->rta_len = (unsigned short)(r->u.buf + r->u.h.nlmsg_len - (char *)a);
}

int
nl_open(struct nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	nl->seq = 1;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0)
		return -1;
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(nl->fd);
		nl->fd = -1;
		return -1;
	}
	return 0;
}

void
nl_close(struct nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/* Send R and read until its answer: an ack (0) or an error (-1, errno), or,
 * with REPLY, the first message of type REPLY_TYPE copied there. */
static int
talk(struct nl *nl, struct req *r, void *reply, size_t replylen)
{
	union {
		struct nlmsghdr h;
		char buf[16384];
	} in;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	uint32_t seq = nl->seq++;
	ssize_t n;

	r->u.h.nlmsg_seq = seq;
	if (sendto(nl->fd, r->u.buf, r->u.h.nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0)
		return -1;
	for (;;) {
		struct nlmsghdr *h;
		size_t left;

		n = recv(nl->fd, in.buf, sizeof(in.buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		left = (size_t)n;
		for (h = &in.h; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
					errno = EPROTO;
					return -1;
				}
				if (e->error == 0)
					return 0;
				errno = -e->error;
				return -1;
			}
			if (reply != NULL) {
				size_t len = h->nlmsg_len < replylen ? h->nlmsg_len : replylen;

				memcpy(reply, h, len);
				return 0;
			}
		}
	}
}

/* Send the N requests R in one message and read their N acks. The kernel
 * runs them in order within the send, on past a failure; the first to fail
 * gives -1 and errno, with its position in *FAILED. */
static int
talk_batch(struct nl *nl, struct req *r, int n, int *failed)
{
	union {
		struct nlmsghdr h;
		char buf[1024];
	} in[8];
	struct iovec iov[8], riov[8];
	struct mmsghdr mm[8];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct msghdr m = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = iov };
	uint32_t seq0 = nl->seq;
	int i, got = 0, err = 0;

	if (n > 8) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		r[i].u.h.nlmsg_seq = nl->seq++;
		iov[i].iov_base = r[i].u.buf;
		iov[i].iov_len = r[i].u.h.nlmsg_len;
	}
	m.msg_iovlen = (size_t)n;
	if (sendmsg(nl->fd, &m, 0) < 0)
		return -1;
	/* One datagram an ack, all queued by the time sendmsg returns. */
	while (got < n) {
		int k;

		memset(mm, 0, sizeof(mm));
		for (i = 0; i < n - got; i++) {
			riov[i].iov_base = in[i].buf;
			riov[i].iov_len = sizeof(in[i].buf);
			mm[i].msg_hdr.msg_iov = &riov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		k = recvmmsg(nl->fd, mm, (unsigned)(n - got), MSG_WAITFORONE, NULL);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < k; i++) {
			struct nlmsghdr *h = &in[i].h;
			struct nlmsgerr *e = NLMSG_DATA(h);
			uint32_t at = h->nlmsg_seq - seq0;

			if (mm[i].msg_len < NLMSG_LENGTH(sizeof(*e)) ||
			    h->nlmsg_type != NLMSG_ERROR || at >= (uint32_t)n)
				continue;
			got++;
			if (e->error != 0 && err == 0) {
				err = -e->error;
				*failed = (int)at;
			}
		}
	}
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int
nl_link_get(struct nl *nl, const char *name, unsigned *flags, int *master,
    char *kind, size_t kindlen)
{
	union {
		struct nlmsghdr h;
		char buf[16384];
	} ans;
	struct req r;
	struct ifinfomsg *ifi;
	struct rtattr *a;
	int len;

	if (strlen(name) >= IFNAMSIZ) {
		errno = ENAMETOOLONG;
		return -1;
	}
	ifi = req_init(&r, RTM_GETLINK, 0, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	if (put_str(&r, IFLA_IFNAME, name) < 0 ||
	    put_u32(&r, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
		return -1;
	memset(&ans, 0, sizeof(ans));
	if (talk(nl, &r, &ans, sizeof(ans)) < 0)
		return -1;
	if (ans.h.nlmsg_type != RTM_NEWLINK ||
	    ans.h.nlmsg_len < NLMSG_LENGTH(sizeof(*ifi))) {
		errno = EPROTO;
		return -1;
	}
	ifi = NLMSG_DATA(&ans.h);
	if (flags != NULL)
		*flags = ifi->ifi_flags;
	if (master != NULL)
		*master = 0;
	if (kind != NULL && kindlen)
		kind[0] = '\0';
	/* A longer answer was cut at sizeof(ans): read what is there. */
	len = (int)((ans.h.nlmsg_len < sizeof(ans) ? ans.h.nlmsg_len : sizeof(ans)) -
	    NLMSG_LENGTH(sizeof(*ifi)));
	for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_MASTER && master && RTA_PAYLOAD(a) >= 4)
			memcpy(master, RTA_DATA(a), 4);
		if (a->rta_type == IFLA_LINKINFO && kind && kindlen) {
			struct rtattr *b;
			int blen = (int)RTA_PAYLOAD(a);

			for (b = RTA_DATA(a); RTA_OK(b, blen); b = RTA_NEXT(b, blen)) {
				size_t n = RTA_PAYLOAD(b);

				if (b->rta_type != IFLA_INFO_KIND)
					continue;
				if (n >= kindlen)
					n = kindlen - 1;
				memcpy(kind, RTA_DATA(b), n);
				kind[n] = '\0';
			}
		}
	}
	return ifi->ifi_index;
}

int
nl_link_del(struct nl *nl, int index)
{
	struct req r;
	struct ifinfomsg *ifi = req_init(&r, RTM_DELLINK, NLM_F_ACK, sizeof(*ifi));

	ifi->ifi_index = index;
	return talk(nl, &r, NULL, 0);
}

int
nl_link_mtu(struct nl *nl, int index, unsigned mtu)
{
	struct req r;
	struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, NLM_F_ACK, sizeof(*ifi));

	ifi->ifi_index = index;
	if (put_u32(&r, IFLA_MTU, mtu) < 0) {
		errno = EMSGSIZE;
		return -1;
	}
	return talk(nl, &r, NULL, 0);
}

int
nl_bridge_add(struct nl *nl, const char *name, unsigned mtu)
{
	struct req r;
	struct rtattr *li;
	struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK,
	    NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (put_str(&r, IFLA_IFNAME, name) < 0 ||
	    (mtu && put_u32(&r, IFLA_MTU, mtu) < 0) ||
	    (li = put(&r, IFLA_LINKINFO, NULL, 0)) == NULL ||
	    put_str(&r, IFLA_INFO_KIND, "bridge") < 0) {
		errno = EMSGSIZE;
		return -1;
	}
	nest_end(&r, li);
	return talk(nl, &r, NULL, 0);
}

int
nl_veth_add(struct nl *nl, const char *name, int master, const char *peer,
    int peer_nspid, const unsigned char *mac, unsigned mtu)
{
	struct req r;
	struct rtattr *li, *data, *pa;
	struct ifinfomsg *ifi, pifi = { .ifi_family = AF_UNSPEC };

	/* Both ends down: an end that is up without a carrier (its peer
	 * down) is deactivated when the kernel catches up with its link
	 * events, and that waits for an RCU grace period under the rtnl
	 * lock. One queue each way on both ends, said here: otherwise the
	 * kernel makes one per CPU and then cuts them down to one on the
	 * registered device, which also waits for a grace period (twice). */
	ifi = req_init(&r, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
	    sizeof(*ifi));
	if (put_str(&r, IFLA_IFNAME, name) < 0 ||
	    (master > 0 && put_u32(&r, IFLA_MASTER, (uint32_t)master) < 0) ||
	    (mtu && put_u32(&r, IFLA_MTU, mtu) < 0) ||
	    put_u32(&r, IFLA_NUM_TX_QUEUES, 1) < 0 ||
	    put_u32(&r, IFLA_NUM_RX_QUEUES, 1) < 0 ||
	    (li = put(&r, IFLA_LINKINFO, NULL, 0)) == NULL ||
	    put_str(&r, IFLA_INFO_KIND, "veth") < 0 ||
	    (data = put(&r, IFLA_INFO_DATA, NULL, 0)) == NULL ||
	    (pa = put(&r, VETH_INFO_PEER, &pifi, sizeof(pifi))) == NULL ||
	    put_str(&r, IFLA_IFNAME, peer) < 0 ||
	    (peer_nspid > 0 && put_u32(&r, IFLA_NET_NS_PID, (uint32_t)peer_nspid) < 0) ||
	    put_u32(&r, IFLA_NUM_TX_QUEUES, 1) < 0 ||
	    put_u32(&r, IFLA_NUM_RX_QUEUES, 1) < 0 ||
	    (mtu && put_u32(&r, IFLA_MTU, mtu) < 0) ||
	    (mac && put(&r, IFLA_ADDRESS, mac, 6) == NULL)) {
		errno = EMSGSIZE;
		return -1;
	}
	nest_end(&r, pa);
	nest_end(&r, data);
	nest_end(&r, li);
	return talk(nl, &r, NULL, 0);
}

int
nl_port_up(struct nl *nl, const char *name, int hairpin)
{
	struct req r;
	struct rtattr *li, *sd;
	uint8_t v = hairpin ? 1 : 0;
	struct ifinfomsg *ifi = req_init(&r, RTM_NEWLINK, NLM_F_ACK, sizeof(*ifi));

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (put_str(&r, IFLA_IFNAME, name) < 0 ||
	    (li = put(&r, IFLA_LINKINFO, NULL, 0)) == NULL ||
	    put_str(&r, IFLA_INFO_SLAVE_KIND, "bridge") < 0 ||
	    (sd = put(&r, IFLA_INFO_SLAVE_DATA, NULL, 0)) == NULL ||
	    put(&r, IFLA_BRPORT_MODE, &v, 1) == NULL) {
		errno = EMSGSIZE;
		return -1;
	}
	nest_end(&r, sd);
	nest_end(&r, li);
	return talk(nl, &r, NULL, 0);
}

/* An IPv4 address ADDR/PREFIX on link INDEX (network byte order). */
static int
addr_req(struct req *r, int index, uint32_t addr, int prefix)
{
	uint32_t brd;
	struct ifaddrmsg *ifa = req_init(r, RTM_NEWADDR,
	    NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)index;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	brd = (prefix >= 31 || prefix <= 0) ? 0 : (addr | htonl(0xffffffffu >> prefix));
	if (put(r, IFA_LOCAL, &addr, 4) == NULL ||
	    put(r, IFA_ADDRESS, &addr, 4) == NULL ||
	    (brd && put(r, IFA_BROADCAST, &brd, 4) == NULL)) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* Link INDEX up. */
static void
up_req(struct req *r, int index)
{
	struct ifinfomsg *ifi = req_init(r, RTM_NEWLINK, NLM_F_ACK, sizeof(*ifi));

	ifi->ifi_index = index;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
}

int
nl_link_up(struct nl *nl, int index)
{
	struct req r;

	up_req(&r, index);
	return talk(nl, &r, NULL, 0);
}

int
nl_addr_add(struct nl *nl, int index, uint32_t addr, int prefix)
{
	struct req r;

	if (addr_req(&r, index, addr, prefix) < 0)
		return -1;
	return talk(nl, &r, NULL, 0);
}

int
nl_ifup_addr_route(struct nl *nl, const char *name, uint32_t addr, int prefix,
    uint32_t gw, const char **what)
{
	static const char *const step[] = { "lo up", "address", "up", "default route" };
	struct req r[4];
	struct rtmsg *rt;
	int idx, failed = 0;

	*what = "";
	if ((idx = nl_link_get(nl, name, NULL, NULL, NULL, 0)) < 0)
		return -1;
	up_req(&r[0], 1);
	if (addr_req(&r[1], idx, addr, prefix) < 0)
		return -1;
	up_req(&r[2], idx);
	rt = req_init(&r[3], RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
	    sizeof(*rt));
	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	if (put(&r[3], RTA_GATEWAY, &gw, 4) == NULL ||
	    put_u32(&r[3], RTA_OIF, (uint32_t)idx) < 0) {
		errno = EMSGSIZE;
		return -1;
	}
	if (talk_batch(nl, r, 4, &failed) < 0) {
		*what = step[failed];
		return -1;
	}
	return 0;
}

static int
write_sysctl(const char *path, const char *val)
{
	char cur[16];
	int fd = open(path, O_RDWR | O_CLOEXEC);
	ssize_t n;

	/* Already so: fine even where /proc/sys is read-only. */
	if (fd < 0 && errno == EROFS)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, cur, sizeof(cur) - 1);
	if (n > 0 && (size_t)n == strlen(val) + 1 && strncmp(cur, val, strlen(val)) == 0) {
		close(fd);
		return 0;
	}
	n = pwrite(fd, val, strlen(val), 0);
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

int
nl_bridge_ensure(struct nl *nl, const struct netconf *c, int quick, int *created,
    char *err, size_t errlen)
{
	unsigned flags = 0;
	char path[96], kind[16];
	int idx;

	*created = 0;
	idx = nl_link_get(nl, c->name, &flags, NULL, kind, sizeof(kind));
	if (idx < 0 && errno != ENODEV) {
		snprintf(err, errlen, "bridge %s: %s", c->name, strerror(errno));
		return -1;
	}
	/* Never put an address on somebody else's interface. */
	if (idx >= 0 && strcmp(kind, "bridge") != 0) {
		snprintf(err, errlen, "link %s exists and is not a bridge", c->name);
		return -1;
	}
	if (idx < 0) {
		if (nl_bridge_add(nl, c->name, 0) < 0) {
			snprintf(err, errlen, "create bridge %s: %s", c->name, strerror(errno));
			return -1;
		}
		*created = 1;
		if ((idx = nl_link_get(nl, c->name, &flags, NULL, NULL, 0)) < 0) {
			snprintf(err, errlen, "bridge %s: %s", c->name, strerror(errno));
			return -1;
		}
		/* Set once made, not at creation: only a change of MTU marks it
		 * as the user's; otherwise the kernel recomputes it from the
		 * ports as they come and go. */
		if (c->mtu && nl_link_mtu(nl, idx, c->mtu) < 0) {
			snprintf(err, errlen, "bridge %s: mtu %u: %s", c->name, c->mtu, strerror(errno));
			return -1;
		}
	}
	if (nl_addr_add(nl, idx, htonl(c->gw), c->net.prefix) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "bridge %s: address: %s", c->name, strerror(errno));
		return -1;
	}
	if (!(flags & IFF_UP) && nl_link_up(nl, idx) < 0) {
		snprintf(err, errlen, "bridge %s: up: %s", c->name, strerror(errno));
		return -1;
	}
	/* The sysctls cost more than the rest: once per bridge is enough. */
	if (!c->internal && (*created || !quick)) {
		if (write_sysctl("/proc/sys/net/ipv4/ip_forward", "1") < 0) {
			snprintf(err, errlen, "ip_forward: %s", strerror(errno));
			return -1;
		}
		/* Published ports reached through 127.0.0.1 leave by the bridge
		 * with a loopback source until they are masqueraded. */
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", c->name);
		write_sysctl(path, "1");
	}
	return idx;
}
