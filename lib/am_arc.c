/*
 * am_arc.c - one message's ARC verification (see am_arc.h): keeps the
 * header fields (an AMS may sign any of them), sorts the ARC fields into
 * instances at end of headers (RFC 8617 4.2: one of each per instance,
 * 1 to 50, no gaps, cv=none at 1 and pass above), hashes the body for the
 * AMS canonicalisations it will check, and at end of message runs the
 * validation of RFC 8617 5.2 with the oldest-pass search of step 5.
 * Signature details: am_arc_sig.c; keys: am_arc_key.c; trust: am_arc_trust.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_arc_int.h"
#include "am_header.h"

enum arc_kind { ARC_AAR, ARC_AMS, ARC_AS, ARC_OTHER };

static const char *const kind_name[] = {"ARC-Authentication-Results", "ARC-Message-Signature",
					"ARC-Seal"};

/* Start one message (see am_arc.h). */
struct am_arc_msg *am_arc_msg_new(struct am_dns *dns, struct am_dns_budget *budget,
				  const struct am_arc_options *opt, char *err, size_t errlen)
{
	struct am_arc_msg *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->dns = dns;
	m->budget = budget;
	m->opt = *opt;
	if (m->opt.max_ams_checks < 1)
		m->opt.max_ams_checks = 1;
	return m;
}

/* Free a message and all it kept; NULL is allowed. */
void am_arc_msg_free(struct am_arc_msg *m)
{
	if (m == NULL)
		return;
	am_arena_free(&m->arena);
	free(m->hdrs);
	free(m->sets);
	am_arc_bodyhash_free(m->bodyhash[0]);
	am_arc_bodyhash_free(m->bodyhash[1]);
	am_arc_keys_free(&m->keys);
	free(m);
}

/* Which ARC field a header name is, if any. */
static enum arc_kind kind_of(const char *name)
{
	for (int k = ARC_AAR; k <= ARC_AS; k++)
		if (am_header_name_is(name, kind_name[k]))
			return (enum arc_kind)k;
	return ARC_OTHER;
}

/* Keep one header field (within the caps) and count the ARC ones. */
int am_arc_header(struct am_arc_msg *m, const char *name, const char *value)
{
	struct am_arc_hdr h = {0};
	bool arc = kind_of(name) != ARC_OTHER;

	m->narc += arc;
	if (m->overflow)
		return 0;
	if (m->nhdrs == AM_ARC_MAX_HEADERS || m->bytes + strlen(value) > AM_ARC_MAX_HEADER_BYTES ||
	    (arc && strlen(value) > AM_ARC_MAX_FIELD) || (arc && m->narc > AM_ARC_MAX_FIELDS)) {
		m->overflow = true;
		snprintf(m->fail, sizeof(m->fail), arc && strlen(value) > AM_ARC_MAX_FIELD ?
			 "%s over %d bytes" : "header fields past the caps (%s)",
			 arc ? kind_name[kind_of(name)] : "total", AM_ARC_MAX_FIELD);
		return 0;
	}
	if (m->nhdrs == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 32;
		struct am_arc_hdr *p = realloc(m->hdrs, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		m->hdrs = p;
		m->cap = cap;
	}
	if ((h.name = am_arena_strdup(&m->arena, name)) == NULL ||
	    (h.value = am_header_crlf(&m->arena, NULL, 0, value, &h.vlen)) == NULL)
		return -1;
	m->bytes += h.vlen + strlen(name);
	m->hdrs[m->nhdrs++] = h;
	return 0;
}

/* i= of an AAR: "i=N;" first (RFC 8617 4.1.1). 0 when malformed. */
static unsigned aar_instance(const char *v)
{
	unsigned long i = 0;
	const char *p = v + strspn(v, " \t\r\n");

	if (p[0] != 'i')
		return 0;
	p += 1 + strspn(p + 1, " \t\r\n");
	if (*p++ != '=')
		return 0;
	p += strspn(p, " \t\r\n");
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9' && i <= AM_ARC_MAX_INSTANCES)
		i = i * 10 + (unsigned long)(*p++ - '0');
	p += strspn(p, " \t\r\n");
	return *p == ';' && i <= AM_ARC_MAX_INSTANCES ? (unsigned)i : 0;
}

/* i= of a seal or AMS, from its tag list; 0 when absent or bad. */
static unsigned sig_instance(const char *v)
{
	struct am_arc_tags tags;
	const struct am_arc_tag *t;
	char err[64];
	unsigned long i = 0;

	if (am_arc_tags_parse(v, &tags, err, sizeof(err)) != 0 || (t = am_arc_tag_get(&tags, "i")) == NULL ||
	    t->vlen == 0 || t->vlen > 3)
		return 0;
	for (size_t k = 0; k < t->vlen; k++) {
		if (t->val[k] < '0' || t->val[k] > '9')
			return 0;
		i = i * 10 + (unsigned long)(t->val[k] - '0');
	}
	return i <= AM_ARC_MAX_INSTANCES ? (unsigned)i : 0;
}

/* Place header k (an ARC field of kind) in its set; -1 with m->fail. */
static int place(struct am_arc_msg *m, size_t k, enum arc_kind kind, unsigned i)
{
	struct am_arc_set *s = &m->sets[i];
	int *slot = kind == ARC_AAR ? &s->aar : kind == ARC_AMS ? &s->ams.hdr : &s->as.hdr;

	if (*slot >= 0) {
		snprintf(m->fail, sizeof(m->fail), "duplicate %s i=%u", kind_name[kind], i);
		return -1;
	}
	*slot = (int)k;
	return 0;
}

/* First pass: every ARC field's instance; the newest instance in m->n. */
static int find_instances(struct am_arc_msg *m, unsigned *inst)
{
	for (size_t k = 0; k < m->nhdrs; k++) {
		enum arc_kind kind = kind_of(m->hdrs[k].name);
		if (kind == ARC_OTHER)
			continue;
		inst[k] = kind == ARC_AAR ? aar_instance(m->hdrs[k].value) : sig_instance(m->hdrs[k].value);
		if (inst[k] == 0) {
			snprintf(m->fail, sizeof(m->fail), "%s without a valid i= (1 to %d)", kind_name[kind],
				 AM_ARC_MAX_INSTANCES);
			return -1;
		}
		if (inst[k] > m->n)
			m->n = inst[k];
	}
	return 0;
}

/* Sort the ARC fields into sets and check the chain's shape. */
static int build_sets(struct am_arc_msg *m)
{
	unsigned *inst = calloc(m->nhdrs, sizeof(*inst));
	int rc = -1;

	if (inst == NULL || find_instances(m, inst) != 0)
		goto out;
	if ((m->sets = calloc(m->n + 1, sizeof(*m->sets))) == NULL) {
		snprintf(m->fail, sizeof(m->fail), "out of memory");
		goto out;
	}
	for (unsigned i = 0; i <= m->n; i++)
		m->sets[i].aar = m->sets[i].ams.hdr = m->sets[i].as.hdr = -1;
	for (size_t k = 0; k < m->nhdrs; k++)
		if (inst[k] != 0 && place(m, k, kind_of(m->hdrs[k].name), inst[k]) != 0)
			goto out;
	for (unsigned i = 1; i <= m->n; i++) {
		struct am_arc_set *s = &m->sets[i];
		if (s->aar < 0 || s->ams.hdr < 0 || s->as.hdr < 0) {
			snprintf(m->fail, sizeof(m->fail), "missing %s i=%u",
				 kind_name[s->aar < 0 ? ARC_AAR : s->ams.hdr < 0 ? ARC_AMS : ARC_AS], i);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc != 0 && m->fail[0] == '\0')
		snprintf(m->fail, sizeof(m->fail), "out of memory");
	free(inst);
	return rc;
}

/* Parse every seal, and the AMSs that will be checked; cv= rules. */
static int parse_sigs(struct am_arc_msg *m)
{
	for (unsigned i = m->n; i >= 1; i--) {
		struct am_arc_set *s = &m->sets[i];
		am_arc_sig_parse(&m->hdrs[s->as.hdr], true, &s->as);
		if (!s->as.ok) {
			snprintf(m->fail, sizeof(m->fail), "ARC-Seal i=%u: %s", i, s->as.err);
			return -1;
		}
		if (i == m->n && strcmp(s->as.cv, "fail") == 0) {
			snprintf(m->fail, sizeof(m->fail), "ARC-Seal i=%u says cv=fail", i);
			return -1;
		}
		if (strcmp(s->as.cv, i == 1 ? "none" : "pass") != 0) {
			snprintf(m->fail, sizeof(m->fail), "ARC-Seal i=%u has cv=%s", i, s->as.cv);
			return -1;
		}
		if (m->n - i < m->opt.max_ams_checks)
			am_arc_sig_parse(&m->hdrs[s->ams.hdr], false, &s->ams);
		if (i == m->n && !s->ams.ok) {
			snprintf(m->fail, sizeof(m->fail), "AMS i=%u: %s", i, s->ams.err);
			return -1;
		}
	}
	return 0;
}

/* End of headers: sort the sets, parse the seals and AMSs, start the body hashes. */
bool am_arc_eoh(struct am_arc_msg *m)
{
	m->eoh_done = true;
	if (m->narc == 0 || m->overflow || build_sets(m) != 0 || parse_sigs(m) != 0)
		return false;
	for (unsigned i = m->n; i >= 1 && m->n - i < m->opt.max_ams_checks; i--) {
		const struct am_arc_sig *ams = &m->sets[i].ams;
		int c = ams->relaxed_b;
		if (ams->ok && m->bodyhash[c] == NULL && (m->bodyhash[c] = am_arc_bodyhash_new(c)) == NULL) {
			snprintf(m->fail, sizeof(m->fail), "out of memory");
			return false;
		}
	}
	return true;
}

/* Hash a body chunk for each canonicalisation an AMS to check uses. */
void am_arc_body(struct am_arc_msg *m, const unsigned char *buf, size_t len)
{
	am_arc_bodyhash_update(m->bodyhash[0], buf, len);
	am_arc_bodyhash_update(m->bodyhash[1], buf, len);
}

/* RFC 8617 5.2 step 5: check older AMSs downwards while they pass (within
 * max_ams_checks); the lowest instance that passed, 0 when all did. */
static unsigned oldest_pass(struct am_arc_msg *m, const unsigned char bh[2][32])
{
	char err[160];
	unsigned low = m->n;

	for (unsigned i = m->n - 1; i >= 1; i--) {
		if (m->n - i >= m->opt.max_ams_checks)
			return low;
		if (am_arc_ams_verify(m, i, bh[m->sets[i].ams.relaxed_b], err, sizeof(err)) != 0)
			return low;
		low = i;
	}
	return 0;
}

/* Validate a well-formed chain: newest AMS, oldest-pass, every seal. */
static void validate(struct am_arc_msg *m, struct am_arc_result *out)
{
	unsigned char bh[2][32] = {{0}};

	for (int c = 0; c < 2; c++) {
		if (m->bodyhash[c] != NULL && am_arc_bodyhash_final(m->bodyhash[c], bh[c]) != 0) {
			snprintf(out->reason, sizeof(out->reason), "body hash failed");
			return;
		}
	}
	if (am_arc_ams_verify(m, m->n, bh[m->sets[m->n].ams.relaxed_b], out->reason,
			      sizeof(out->reason)) != 0)
		return;
	out->oldest_pass = oldest_pass(m, bh);
	for (unsigned i = m->n; i >= 1; i--)
		if (am_arc_as_verify(m, i, out->reason, sizeof(out->reason)) != 0)
			return;
	out->result = AM_RES_PASS;
	m->chain_pass = true;
}

/* The chain result (RFC 8617 5.2) of the message. */
void am_arc_eom(struct am_arc_msg *m, const char *remote_ip, struct am_arc_result *out)
{
	memset(out, 0, sizeof(*out));
	out->checked = true;
	snprintf(out->remote_ip, sizeof(out->remote_ip), "%s", remote_ip ? remote_ip : "");
	if (!m->eoh_done)
		(void)am_arc_eoh(m);
	if (m->narc == 0) {
		out->result = AM_RES_NONE;
		return;
	}
	out->result = AM_RES_FAIL;
	if (m->n > 0 && m->sets != NULL && m->sets[m->n].as.ok)
		snprintf(out->sealer, sizeof(out->sealer), "%s", m->sets[m->n].as.d);
	out->instances = m->n;
	if (m->fail[0] != '\0') {
		snprintf(out->reason, sizeof(out->reason), "%s", m->fail);
		return;
	}
	validate(m, out);
}
