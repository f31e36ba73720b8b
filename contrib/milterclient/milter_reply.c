/*
 * milter_reply.c - reading a filter's replies for the milter client library:
 * decisions, SMFIR_REPLYCODE checked and rendered the way Postfix does, and
 * the end-of-message modification requests (kept, not applied). Every
 * payload is bounds-checked before use.
 */
#include "milter_client_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* Append one modification (copies the strings); -1 when full. */
static int add_mod(struct mc_mods *m, enum mc_mod_type t, uint32_t idx, const char *name,
		   const char *value, size_t vlen)
{
	if (m->n >= MC_MAX_MODS)
		return -1;
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 16;
		struct mc_mod *nv = realloc(m->v, nc * sizeof(*nv));
		if (!nv)
			return -1;
		m->v = nv;
		m->cap = nc;
	}
	struct mc_mod *x = &m->v[m->n];
	x->type = t;
	x->index = idx;
	x->name = strdup(name ? name : "");
	x->value = NULL;
	x->value_len = 0;
	if (value) {
		x->value = malloc(vlen + 1);
		if (x->value) {
			memcpy(x->value, value, vlen);
			x->value[vlen] = 0;
			x->value_len = vlen;
		}
	}
	if (!x->name || (value && !x->value)) {
		free(x->name);
		free(x->value);
		return -1;
	}
	m->n++;
	return 0;
}

void mc_mods_free(struct mc_mods *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].value);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Split payload p[0..n) into up to `want` NUL-terminated strings. */
static int split_strings(const unsigned char *p, size_t n, const char **out, size_t *lens,
			 int want)
{
	int k = 0;
	while (k < want && n > 0) {
		const unsigned char *z = memchr(p, 0, n);
		if (!z)
			return -1;
		out[k] = (const char *)p;
		lens[k] = (size_t)(z - p);
		n -= lens[k] + 1;
		p = z + 1;
		k++;
	}
	return n == 0 ? k : -1;
}

/* Decode one modification request into mods; -1 on malformed data. */
static int decode_mod(struct mc_mods *mods, char cmd, const unsigned char *p, size_t n)
{
	const char *s[2] = {NULL, NULL};
	size_t l[2] = {0, 0};
	uint32_t idx = 0;
	int k;
	switch (cmd) {
	case 'i': /* SMFIR_INSHEADER */
	case 'm': /* SMFIR_CHGHEADER */
		if (n < 4)
			return -1;
		memcpy(&idx, p, 4);
		idx = ntohl(idx);
		if (split_strings(p + 4, n - 4, s, l, 2) != 2)
			return -1;
		if (cmd == 'm')
			return add_mod(mods, MC_MOD_CHGHEADER, idx, s[0], l[1] ? s[1] : NULL, l[1]);
		return add_mod(mods, MC_MOD_INSHEADER, idx, s[0], s[1], l[1]);
	case 'h': /* SMFIR_ADDHEADER */
		if (split_strings(p, n, s, l, 2) != 2)
			return -1;
		return add_mod(mods, MC_MOD_ADDHEADER, 0, s[0], s[1], l[1]);
	case 'q':
	case '+':
	case '-':
		if (split_strings(p, n, s, l, 1) != 1)
			return -1;
		return add_mod(mods, cmd == 'q' ? MC_MOD_QUARANTINE : cmd == '+' ? MC_MOD_ADDRCPT
									       : MC_MOD_DELRCPT,
			       0, s[0], NULL, 0);
	case '2': /* SMFIR_ADDRCPT_PAR */
	case 'e': /* SMFIR_CHGFROM */
		if ((k = split_strings(p, n, s, l, 2)) < 1)
			return -1;
		return add_mod(mods, cmd == '2' ? MC_MOD_ADDRCPT_PAR : MC_MOD_CHGFROM, 0, s[0],
			       k == 2 ? s[1] : NULL, l[1]);
	case 'b': /* SMFIR_REPLBODY */
		return add_mod(mods, MC_MOD_REPLBODY, 0, NULL, (const char *)p, n);
	}
	return -1;
}

/* Check and keep an SMFIR_REPLYCODE text the way Postfix does. */
static int take_replycode(struct mc_reply *r, const unsigned char *p, size_t n, char *err,
			  size_t errlen)
{
	const char *s = (const char *)p;
	size_t o = 0;
	if (n < 5 || (s[0] != '4' && s[0] != '5') || s[1] < '0' || s[1] > '9' || s[2] < '0' ||
	    s[2] > '9' || (s[3] != ' ' && s[3] != '-') || s[4] != s[0]) {
		mc_errf(err, errlen,
			"malformed reply code \"%.80s\" (Postfix would log it and answer 451 4.3.5)", s);
		return -1;
	}
	for (size_t i = 0; i < n && s[i] && o + 1 < sizeof(r->text); i++) {
		if (s[i] == '%') { /* "%%" -> "%", a single '%' dropped, as Postfix */
			if (i + 1 < n && s[i + 1] == '%')
				r->text[o++] = s[++i];
			continue;
		}
		r->text[o++] = s[i];
	}
	r->text[o] = 0;
	r->resp = MC_REPLYCODE;
	return 0;
}

/* Map a one-letter decision without payload; -1 if cmd is not one. */
static int simple_resp(char cmd)
{
	switch (cmd) {
	case 'c': return MC_CONTINUE;
	case 'a': return MC_ACCEPT;
	case 'r': return MC_REJECT;
	case 't': return MC_TEMPFAIL;
	case 'd': return MC_DISCARD;
	case 's': return MC_SKIP;
	case '4': return MC_SHUTDOWN;
	case 'f': return MC_CONNFAIL;
	}
	return -1;
}

int mc_read_reply(struct mc_conn *c, char ev, struct mc_reply *r, struct mc_mods *mods,
		  char *err, size_t errlen)
{
	char cmd;
	size_t n;
	r->resp = MC_NOTSENT;
	r->text[0] = 0;
	for (;;) {
		if (mc_read_packet(c, &cmd, &n, err, errlen) < 0)
			return -1;
		int sr = simple_resp(cmd);
		if (cmd == 'p' && n == 0) /* SMFIR_PROGRESS: keep waiting */
			continue;
		if (sr >= 0 && n == 0) {
			r->resp = (enum mc_resp)sr;
			return 0;
		}
		if (sr >= 0) {
			mc_errf(err, errlen, "reply '%c' to '%c' followed by %zu data bytes", cmd, ev, n);
			return -1;
		}
		if (cmd == 'y')
			return take_replycode(r, c->rbuf, n, err, errlen);
		if (cmd == 'q' && ev != SMFIC_BODYEOB) { /* Postfix honours quarantine anywhere */
			if (mods && decode_mod(mods, cmd, c->rbuf, n) < 0)
				goto bad;
			continue;
		}
		if (ev == SMFIC_BODYEOB && mods && strchr("imhq+-2eb", cmd)) {
			if (decode_mod(mods, cmd, c->rbuf, n) < 0)
				goto bad;
			continue;
		}
		if (ev == SMFIC_BODYEOB && !mods && strchr("imhq+-2eb", cmd))
			continue;
		mc_errf(err, errlen, "unexpected filter response '%c' (%zu bytes) after event '%c'", cmd,
			n, ev);
		return -1;
	}
bad:
	mc_errf(err, errlen, "malformed or too many modification requests ('%c', %zu bytes)", cmd, n);
	return -1;
}
