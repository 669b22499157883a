/* SPDX-License-Identifier: ISC */
/* ipam.h: IPv4 subnets and address leases kept as one file per address. */
#ifndef SKIFF_IPAM_H
#define SKIFF_IPAM_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

/* Addresses are in host byte order throughout. */
struct ipnet {
	uint32_t addr;	/* the network address */
	int prefix;
};

int ip_parse(const char *s, uint32_t *addr);
/* "10.88.0.0/16": the address must be the network's own (no host bits). */
int ipnet_parse(const char *s, struct ipnet *net);
uint32_t ipnet_mask(int prefix);
int ipnet_contains(const struct ipnet *net, uint32_t addr);
int ipnet_overlap(const struct ipnet *a, const struct ipnet *b);
/* The first and last addresses a host may have. */
uint32_t ipnet_first(const struct ipnet *net);
uint32_t ipnet_last(const struct ipnet *net);
void ip_format(uint32_t addr, char buf[16]);

/*
 * Owner files: a file whose content names what holds it, either a process
 * ("pid=N start=T", T its start time in clock ticks since boot, so a reused
 * pid is not mistaken for the owner) or a named network namespace
 * ("netns=/run/netns/NAME"). An owner that is gone leaves a stale file.
 */
struct owner {
	pid_t pid;
	unsigned long long start;
	char netns[256];
};

int owner_self(struct owner *o, pid_t pid);
int owner_format(const struct owner *o, char *buf, size_t len);
int owner_parse(const char *s, struct owner *o);
/* 1 when the owner is still there, 0 when it is gone. */
int owner_alive(const struct owner *o);
/* Read NAME in DIRFD: 1 held by a live owner (O filled), 0 stale or absent,
 * -1 on error. An empty file (being written) counts as held. */
int owner_read(int dirfd, const char *name, struct owner *o);
/* Create NAME with O_EXCL holding O; a stale NAME is replaced. -1 with
 * EEXIST when a live owner holds it. The caller holds the lock. */
int owner_claim(int dirfd, const char *name, const struct owner *o);
/* Rewrite NAME's owner as O (write a temporary, rename over). */
int owner_replace(int dirfd, const char *name, const struct owner *o);
/* Remove NAME when O (if not NULL) is its owner, or when it is stale. */
int owner_release(int dirfd, const char *name, const struct owner *o);

/* An exclusive lock on the file NAME in DIRFD; close the fd to unlock. */
int ipam_lock(int dirfd, const char *name);

/*
 * Lease an address of NET (not GW) for O: WANT if non-zero (EADDRINUSE when
 * held, EDOM when outside NET or not a host address), else the next free
 * one after the last allocated, round-robin (ENOSPC when none is free).
 */
int ipam_allocate(int dirfd, const struct ipnet *net, uint32_t gw,
    uint32_t want, const struct owner *o, uint32_t *got);

/* A network as `net-bridge create` recorded it in $SKIFF_RUN/net/NAME/config
 * (key=value lines), so that every later command sees the same network. */
struct netconf {
	char name[16];
	struct ipnet net;
	uint32_t gw;
	unsigned mtu;		/* 0: the kernel's default */
	int internal;
};

/* NAME's config under ROOT ($SKIFF_RUN/net): 1 loaded, 0 no such network,
 * -1 unreadable or corrupt (EINVAL). */
int netconf_load(int root, const char *name, struct netconf *c);
/* Write DIRFD/config atomically. */
int netconf_save(int dirfd, const struct netconf *c);
/* Every network directory's name, sorted, NULL-terminated (NULL, errno). */
char **netconf_list(int root);

#endif
