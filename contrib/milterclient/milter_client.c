/*
 * milter_client.c - connection, wire format and negotiation of the milter
 * client library (see milter_client.h). Replies are read in milter_reply.c,
 * events and macros are in milter_events.c, whole messages in
 * milter_message.c.
 * Every read and write is bounded in size and time; a filter that closes the
 * connection or sends garbage gives an error, never a crash or a hang.
 */
#include "milter_client_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Format an error message into the caller's buffer. */
void mc_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Bounded string copy that always terminates; returns strlen(src). */
size_t mc_strlcpy(char *dst, const char *src, size_t n)
{
	size_t l = strlen(src);
	if (n) {
		size_t k = l < n - 1 ? l : n - 1;
		memcpy(dst, src, k);
		dst[k] = 0;
	}
	return l;
}

void mc_pkt_init(struct mc_pkt *b)
{
	memset(b, 0, sizeof(*b));
}

void mc_pkt_free(struct mc_pkt *b)
{
	free(b->p);
	mc_pkt_init(b);
}

/* Append bytes; past MC_MAX_PACKET (or out of memory) mark overflow. */
void mc_pkt_bytes(struct mc_pkt *b, const void *d, size_t n)
{
	if (b->overflow)
		return;
	if (n > MC_MAX_PACKET - b->len) {
		b->overflow = 1;
		return;
	}
	if (b->len + n > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		while (nc < b->len + n)
			nc *= 2;
		unsigned char *np = realloc(b->p, nc);
		if (!np) {
			b->overflow = 1;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	if (n)
		memcpy(b->p + b->len, d, n);
	b->len += n;
}

void mc_pkt_str(struct mc_pkt *b, const char *s)
{
	mc_pkt_bytes(b, s, strlen(s) + 1);
}

void mc_pkt_u32(struct mc_pkt *b, uint32_t v)
{
	uint32_t n = htonl(v);
	mc_pkt_bytes(b, &n, 4);
}

/* Milliseconds of a monotonic clock. */
static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for `ev` before the deadline: 0, or -1 (timeout/error). */
static int wait_fd(int fd, short ev, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return -1;
		struct pollfd p = {.fd = fd, .events = ev};
		int n = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* Close the socket; the connection is unusable afterwards. */
void mc_shut(struct mc_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Write all bytes within the reply timeout. */
static int write_all(struct mc_conn *c, const void *d, size_t n, char *err, size_t errlen)
{
	const char *p = d;
	long long deadline = now_ms() + c->reply_timeout_ms;
	while (n > 0) {
		if (wait_fd(c->fd, POLLOUT, deadline) < 0) {
			mc_errf(err, errlen, "timeout writing to the filter");
			return -1;
		}
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0) {
			mc_errf(err, errlen, "write to the filter failed: %s (filter closed the connection?)",
				strerror(errno));
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read exactly n bytes before the deadline. */
static int read_all(struct mc_conn *c, void *d, size_t n, long long deadline, char *err,
		    size_t errlen)
{
	char *p = d;
	while (n > 0) {
		if (wait_fd(c->fd, POLLIN, deadline) < 0) {
			mc_errf(err, errlen, "timeout after %d ms waiting for the filter's reply",
				c->reply_timeout_ms);
			return -1;
		}
		ssize_t r = recv(c->fd, p, n, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r == 0) {
			mc_errf(err, errlen, "the filter closed the connection");
			return -1;
		}
		if (r < 0) {
			mc_errf(err, errlen, "read from the filter failed: %s", strerror(errno));
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Send one packet: length, command, payload. */
int mc_send(struct mc_conn *c, char cmd, const struct mc_pkt *b, char *err, size_t errlen)
{
	unsigned char hdr[5];
	size_t len = b ? b->len : 0;
	if (c->fd < 0) {
		mc_errf(err, errlen, "connection to the filter is closed");
		return -1;
	}
	if (b && b->overflow) {
		mc_errf(err, errlen, "packet '%c' too large", cmd);
		return -1;
	}
	uint32_t n = htonl((uint32_t)(len + 1));
	memcpy(hdr, &n, 4);
	hdr[4] = (unsigned char)cmd;
	if (write_all(c, hdr, 5, err, errlen) < 0 || (len && write_all(c, b->p, len, err, errlen) < 0)) {
		mc_shut(c);
		return -1;
	}
	return 0;
}

int mc_read_packet(struct mc_conn *c, char *cmd, size_t *len, char *err, size_t errlen)
{
	unsigned char hdr[5];
	long long deadline = now_ms() + c->reply_timeout_ms;
	if (c->fd < 0) {
		mc_errf(err, errlen, "connection to the filter is closed");
		return -1;
	}
	if (read_all(c, hdr, 5, deadline, err, errlen) < 0)
		goto fail;
	uint32_t n;
	memcpy(&n, hdr, 4);
	n = ntohl(n);
	if (n < 1 || n > MC_MAX_PACKET) {
		mc_errf(err, errlen, "bad packet length %u from the filter", n);
		goto fail;
	}
	if (n > c->rcap) {
		unsigned char *p = realloc(c->rbuf, n);
		if (!p) {
			mc_errf(err, errlen, "out of memory");
			goto fail;
		}
		c->rbuf = p;
		c->rcap = n;
	}
	if (read_all(c, c->rbuf, n - 1, deadline, err, errlen) < 0)
		goto fail;
	c->rbuf[n - 1] = 0;
	*cmd = (char)hdr[4];
	*len = n - 1;
	return 0;
fail:
	mc_shut(c);
	return -1;
}

/* Split "unix:PATH", "local:PATH", "inet:PORT@HOST", "inet:HOST:PORT" (also
 * inet6, [v6]) and connect without blocking past the timeout. */
static int open_socket(const char *spec, int timeout_ms, char *err, size_t errlen);

/* Connect a socket fd to addr within the timeout. */
static int connect_fd(int fd, const struct sockaddr *sa, socklen_t sl, int timeout_ms)
{
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, sa, sl) < 0) {
		if (errno != EINPROGRESS)
			return -1;
		if (wait_fd(fd, POLLOUT, now_ms() + timeout_ms) < 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		int e = 0;
		socklen_t el = sizeof(e);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
		if (e) {
			errno = e;
			return -1;
		}
	}
	return 0;
}

/* Connect to a unix socket path. */
static int open_unix(const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un su = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(su.sun_path)) {
		mc_errf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	mc_strlcpy(su.sun_path, path, sizeof(su.sun_path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect_fd(fd, (struct sockaddr *)&su, sizeof(su), timeout_ms) < 0) {
		mc_errf(err, errlen, "cannot connect to unix:%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Connect to HOST PORT over TCP (first address that works). */
static int open_inet(const char *host, const char *port, int timeout_ms, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL, *ai;
	int fd = -1, e = getaddrinfo(host, port, &hints, &res);
	if (e) {
		mc_errf(err, errlen, "cannot resolve %s port %s: %s", host, port, gai_strerror(e));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect_fd(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms) == 0)
			break;
		e = errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		mc_errf(err, errlen, "cannot connect to %s port %s: %s", host, port, strerror(e));
	return fd;
}

static int open_socket(const char *spec, int timeout_ms, char *err, size_t errlen)
{
	char host[512], port[16];
	const char *rest, *at;
	int fd;
	if (!strncmp(spec, "unix:", 5) || !strncmp(spec, "local:", 6))
		fd = open_unix(strchr(spec, ':') + 1, timeout_ms, err, errlen);
	else if (spec[0] == '/')
		fd = open_unix(spec, timeout_ms, err, errlen);
	else if (!strncmp(spec, "inet:", 5) || !strncmp(spec, "inet6:", 6)) {
		rest = strchr(spec, ':') + 1;
		if ((at = strchr(rest, '@')) != NULL) { /* PORT@HOST (libmilter form) */
			snprintf(port, sizeof(port), "%.*s", (int)(at - rest), rest);
			snprintf(host, sizeof(host), "%s", at + 1);
		} else if ((at = strrchr(rest, ':')) != NULL) { /* HOST:PORT (Postfix form) */
			snprintf(host, sizeof(host), "%.*s", (int)(at - rest), rest);
			snprintf(port, sizeof(port), "%s", at + 1);
		} else {
			mc_errf(err, errlen, "bad socket %s: want inet:PORT@HOST", spec);
			return -1;
		}
		size_t hl = strlen(host);
		if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
			memmove(host, host + 1, hl - 2);
			host[hl - 2] = 0;
		}
		fd = open_inet(host, port, timeout_ms, err, errlen);
	} else {
		mc_errf(err, errlen, "bad socket %s: want unix:PATH, local:PATH or inet:PORT@HOST", spec);
		return -1;
	}
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

void mc_opts_default(struct mc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout_ms = 10000;
	o->reply_timeout_ms = 60000;
	o->actions = MC_ALL_ACTIONS;
	o->protocol = MC_ALL_PROTOCOL;
	o->mta_name = "mx.authmilter.example";
}

/* Read the symbol lists that may follow the SMFIC_OPTNEG reply. */
static int read_symlists(struct mc_conn *c, const unsigned char *p, size_t n, char *err,
			 size_t errlen)
{
	while (n > 0) {
		uint32_t st;
		if (n < 5) {
			mc_errf(err, errlen, "truncated symbol list in negotiation");
			return -1;
		}
		memcpy(&st, p, 4);
		st = ntohl(st);
		p += 4;
		n -= 4;
		const unsigned char *z = memchr(p, 0, n);
		if (!z) {
			mc_errf(err, errlen, "unterminated symbol list in negotiation");
			return -1;
		}
		if (st < MC_NSYMLISTS) { /* Postfix ignores unknown stages too */
			free(c->symlist[st]);
			c->symlist[st] = strdup((const char *)p);
		}
		n -= (size_t)(z - p) + 1;
		p = z + 1;
	}
	return 0;
}

/* SMFIC_OPTNEG exchange: offer, check the answer, keep the filter's flags. */
static int negotiate(struct mc_conn *c, const struct mc_opts *o, char *err, size_t errlen)
{
	struct mc_pkt b;
	char cmd;
	size_t len;
	mc_pkt_init(&b);
	mc_pkt_u32(&b, SMFI_VERSION_MTA);
	mc_pkt_u32(&b, o->actions);
	mc_pkt_u32(&b, o->protocol);
	int rc = mc_send(c, SMFIC_OPTNEG, &b, err, errlen);
	mc_pkt_free(&b);
	if (rc < 0 || mc_read_packet(c, &cmd, &len, err, errlen) < 0)
		return -1;
	if (cmd != SMFIC_OPTNEG || len < 12) {
		mc_errf(err, errlen, "unexpected reply '%c' (%zu bytes) to SMFIC_OPTNEG", cmd, len);
		return -1;
	}
	uint32_t v[3];
	memcpy(v, c->rbuf, 12);
	c->version = ntohl(v[0]);
	c->actions = ntohl(v[1]);
	c->protocol = ntohl(v[2]);
	if (c->version < 2 || c->version > SMFI_VERSION_MTA) {
		mc_errf(err, errlen, "filter speaks protocol version %u, we speak 2..%d", c->version,
			SMFI_VERSION_MTA);
		return -1;
	}
	if ((c->actions & o->actions) != c->actions) {
		mc_errf(err, errlen, "filter asks for actions 0x%x beyond offered 0x%x", c->actions,
			o->actions);
		return -1;
	}
	c->protocol &= o->protocol; /* as Postfix: flags we did not offer are ignored */
	return read_symlists(c, c->rbuf + 12, len - 12, err, errlen);
}

struct mc_conn *mc_open(const char *spec, const struct mc_opts *o, char *err, size_t errlen)
{
	struct mc_opts def;
	if (!o) {
		mc_opts_default(&def);
		o = &def;
	}
	struct mc_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		mc_errf(err, errlen, "out of memory");
		return NULL;
	}
	c->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
	c->reply_timeout_ms = o->reply_timeout_ms > 0 ? o->reply_timeout_ms : 60000;
	mc_strlcpy(c->mta_name, o->mta_name ? o->mta_name : "mx.authmilter.example",
		   sizeof(c->mta_name));
	c->fd = open_socket(spec, c->connect_timeout_ms, err, errlen);
	if (c->fd < 0 || negotiate(c, o, err, errlen) < 0) {
		mc_close(c);
		return NULL;
	}
	return c;
}

void mc_close(struct mc_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		mc_send(c, SMFIC_QUIT, NULL, NULL, 0);
	mc_shut(c);
	for (int i = 0; i < MC_NSYMLISTS; i++)
		free(c->symlist[i]);
	free(c->rbuf);
	free(c);
}

void mc_set_trace(struct mc_conn *c, mc_trace_fn fn, void *arg)
{
	c->trace = fn;
	c->trace_arg = arg;
}

uint32_t mc_filter_version(const struct mc_conn *c) { return c->version; }
uint32_t mc_filter_actions(const struct mc_conn *c) { return c->actions; }
uint32_t mc_filter_protocol(const struct mc_conn *c) { return c->protocol; }
int mc_is_open(const struct mc_conn *c) { return c->fd >= 0; }

const char *mc_filter_symlist(const struct mc_conn *c, int smfim)
{
	return smfim >= 0 && smfim < MC_NSYMLISTS ? c->symlist[smfim] : NULL;
}
