/* SPDX-License-Identifier: ISC */
/* skiff-probe: does ADDR:PORT accept a TCP connection? The readiness check
 * of skiff's deployments (kubectl's tcpSocket probe). */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static const char usage_line[] = "skiff-probe [--timeout DUR] ADDR:PORT...";

enum { O_TIMEOUT = 0x100 };
static const struct optspec options[] = {
	{ "timeout", required_argument, O_TIMEOUT, "DUR", "give up on a connect after DUR (default 1s)" },
	{ NULL, 0, 0, NULL, NULL },
};

static noreturn void
usage(void)
{
	fprintf(stderr, "usage: %s\n", usage_line);
	exit(EXIT_USAGE);
}

/* "10.0.0.1:80" or "[::1]:80" into a socket address. */
static int
parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	long long port;
	size_t n;

	if (colon == NULL || parse_num(colon + 1, 1, 65535, &port) < 0)
		return -1;
	n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((unsigned short)port);
		*len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((unsigned short)port);
		*len = sizeof(struct sockaddr_in6);
		return 0;
	}
	return -1;
}

static int
probe(const struct sockaddr_storage *ss, socklen_t len, int timeout_ms)
{
	struct pollfd p;
	int fd, err = 0;
	socklen_t elen = sizeof(err);

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)ss, len) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, timeout_ms) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err != 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage ss;
	uint64_t timeout = 1000;
	socklen_t len;
	char *help;
	int c, i, rc = 0;

	setprogname(argv[0]);
	while ((c = optspec_getopt(argc, argv, options)) != -1) {
		switch (c) {
		case O_TIMEOUT:
			if (parse_duration_ms(optarg, &timeout) < 0 || timeout > 600000)
				die(EXIT_USAGE, "--timeout %s: expected a duration like 500ms or 2s", optarg);
			break;
		case OPT_HELP:
			if ((help = optspec_help(usage_line, options)) == NULL)
				die(1, "--help:");
			fputs(help, stdout);
			exit(0);
		case OPT_VERSION:
			printf("skiff-probe %s\n", SKIFF_VERSION);
			exit(0);
		default:
			die_badopt(EXIT_USAGE, c, argv);
		}
	}
	if (optind == argc)
		usage();
	for (i = optind; i < argc; i++) {
		if (parse_addr(argv[i], &ss, &len) < 0)
			die(EXIT_USAGE, "%s: expected ADDR:PORT", argv[i]);
		if (probe(&ss, len, (int)timeout) < 0)
			rc = 1;
	}
	return rc;
}
