/* SPDX-License-Identifier: ISC */
/* nft.h: net-bridge's NAT and isolation rules, as nft(8) scripts run in a
 * table of skiff's own ("ip skiff"). */
#ifndef SKIFF_NFT_H
#define SKIFF_NFT_H

#include <sys/types.h>
#include <stdint.h>
#include <stdio.h>

#include "ipam.h"

/* A published port: HOSTIP (0: every local address):HOSTPORT to IP:PORT. */
struct pubport {
	int udp;
	uint32_t hostip;
	unsigned hostport;
	uint32_t ip;
	unsigned port;
};

/* "[HOSTIP:]HOSTPORT:PORT[/tcp|/udp]"; err says why not. */
int pubport_parse(const char *s, struct pubport *p, char *err, size_t errlen);

/* A published port's claim file name, "tcp-8080" or "udp-53-127.0.0.1",
 * and back (to the key: protocol, host address and port). */
void pubport_file(const struct pubport *p, char *buf, size_t len);
int pubport_from_file(const char *name, struct pubport *p);

/*
 * Claim host port P for O: an owner file (pubport_file) in PORTSDIR, whose
 * lock the caller holds. A port on all addresses clashes with the same port
 * on any one address and the other way round: -1 with EADDRINUSE and
 * HOLDER filled then.
 */
int pubport_claim(int portsdir, const struct pubport *p, const struct owner *o,
    struct owner *holder);

/* The path of nft(8): $SKIFF_NFT ("none": NULL), else in PATH (or /usr/sbin,
 * /sbin); NULL if there is none. */
const char *nft_path(void);

/* An executable NAME in PATH (a static buffer), NULL if there is none. */
const char *find_program(const char *name);

/*
 * The userland fallback without nft: an lb-proxy(1) process per port,
 * LBPROXY --listen HOSTIP:HOSTPORT --backend IP:PORT, started in order and
 * each waited for until it listens; PIDS gets their pids. -1 when one did
 * not start, with those started stopped.
 */
int pubport_proxy_start(const char *lbproxy, const struct pubport *ports, size_t n,
    pid_t *pids);
void pubport_proxy_stop(pid_t *pids, size_t n);

/* Script pieces, written to F. nft_base declares the table, its sets and
 * maps and (re)writes the base chains' rules: idempotent. */
void nft_base(FILE *f);
void nft_net_add(FILE *f, const char *name, const struct ipnet *net, int internal);
/* Removal that succeeds whether or not the pieces are there. */
void nft_net_del(FILE *f, const char *name, const struct ipnet *net);
void nft_port_add(FILE *f, const struct pubport *p);
void nft_port_del(FILE *f, const struct pubport *p);

/* Run "nft -f -" on SCRIPT; on failure err holds nft's first error line.
 * -1 with ENOENT when nft is not installed. */
int nft_run(const char *script, char *err, size_t errlen);

#endif
