/* SPDX-License-Identifier: ISC */
/* netlink.h: a small rtnetlink client of skiff's own (links, addresses,
 * routes, bridges, veth pairs), for net-bridge. */
#ifndef SKIFF_NETLINK_H
#define SKIFF_NETLINK_H

#include <stddef.h>
#include <stdint.h>

/* One NETLINK_ROUTE socket. It stays bound to the network namespace it was
 * opened in, whatever namespace its owner moves to afterwards. */
struct nl {
	int fd;
	uint32_t seq;
};

int nl_open(struct nl *nl);
void nl_close(struct nl *nl);

/* The index of a link by name (-1 and errno ENODEV when there is none),
 * with its flags, master index and kind ("bridge", "veth", "" when it has
 * none) when those pointers are not NULL. */
int nl_link_get(struct nl *nl, const char *name, unsigned *flags, int *master,
    char *kind, size_t kindlen);
int nl_link_up(struct nl *nl, int index);
int nl_link_del(struct nl *nl, int index);
int nl_link_mtu(struct nl *nl, int index, unsigned mtu);
int nl_bridge_add(struct nl *nl, const char *name, unsigned mtu);

/* A veth pair: NAME on the bridge MASTER (if > 0); its PEER created
 * directly in the network namespace of process PEER_NSPID (if > 0), with
 * MAC (6 bytes, or NULL) and MTU (0: the default); one queue each way;
 * both ends down. */
int nl_veth_add(struct nl *nl, const char *name, int master, const char *peer,
    int peer_nspid, const unsigned char *mac, unsigned mtu);
/* The bridge port NAME up, with hairpin mode on or off, in one request. */
int nl_port_up(struct nl *nl, const char *name, int hairpin);
/* IPv4 address ADDR/PREFIX on a link (network byte order). */
int nl_addr_add(struct nl *nl, int index, uint32_t addr, int prefix);
/* A container's side in one go: lo up, ADDR/PREFIX on link NAME, NAME up,
 * default route via GW (addresses in network byte order). On failure
 * *WHAT names the step ("address", "up"...; "" when NAME was not found). */
int nl_ifup_addr_route(struct nl *nl, const char *name, uint32_t addr,
    int prefix, uint32_t gw, const char **what);


struct netconf;
/* The bridge of network C, with its gateway address, up; for a network with
 * NAT, IPv4 forwarding and route_localnet (published ports reached through
 * 127.0.0.1) on. Its index, or -1 with ERR saying what failed. A link of
 * that name that is not a bridge is refused, never touched. *CREATED says
 * whether the bridge was made here. QUICK leaves the sysctls alone when the
 * bridge was there already. */
int nl_bridge_ensure(struct nl *nl, const struct netconf *c, int quick,
    int *created, char *err, size_t errlen);

#endif
