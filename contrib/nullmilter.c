/*
 * nullmilter - the benchmark's floor: a libmilter filter that negotiates
 * the same actions, protocol options and macros as authmilter, receives
 * every stage authmilter receives (connect, HELO, MAIL, RCPT, each header,
 * end of headers, the whole body, end of message) and decides nothing: it
 * answers "continue" (or no reply where the MTA agreed to expect none) and
 * keeps no state. What it costs is libmilter's and the MTA's share of a
 * message, the part no filter can avoid. Built by make, not installed.
 *
 *   nullmilter -p SOCKET [-A ACTIONS] [-P PROTOCOL] [-M STAGE:MACROS]...
 *
 * -A and -P are the SMFIF_* and SMFIP_* masks to ask for (hex or decimal),
 * -M the macro list of a stage (connect, helo, mail, rcpt, data, eoh, eom).
 * The defaults are what authmilter asks for; contrib/bench.sh passes what a
 * running authmilter really negotiated (t/milter-drive prints it), so the
 * floor follows the daemon when its negotiation changes. SMFIP_MDS_* in -P
 * sets libmilter's maximum data size as authmilter's smfi_setmaxdatasize
 * would. The socket is created world-writable (Postfix runs as postfix).
 */
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* authmilter's negotiation as of this file (milter/callbacks.c). */
#define DEFAULT_ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE)
#define DEFAULT_PROTOCOL                                                                  \
	(SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_HDR_LEADSPC | SMFIP_NR_CONN | SMFIP_NR_HELO | \
	 SMFIP_NR_MAIL | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)
#define MDS_MASK (SMFIP_MDS_256K | SMFIP_MDS_1M)

/* SMFIM_* order; DATA is asked with SMFIP_NODATA, as authmilter does
 * (it registers no xxfi_data), but its macros may still be listed. */
static const char *const stage_names[] = {"connect", "helo", "mail", "rcpt", "data", "eom", "eoh"};
#define NSTAGES (sizeof(stage_names) / sizeof(stage_names[0]))

/* Options: set in main() before smfi_main() starts threads, read-only after. */
static unsigned long want_actions = DEFAULT_ACTIONS, want_protocol = DEFAULT_PROTOCOL;
static const char *macros[NSTAGES] = {
	"{daemon_name} {client_ptr} j", "{tls_version} {cipher} {cert_subject}",
	"{i} {auth_authen} {auth_type}", "{i} {rcpt_addr}", NULL, "{i}", NULL,
};

/* The protocol options agreed with the MTA, per connection. */
struct nm_priv {
	unsigned long protocol;
};

/* The answer of a stage: none when the MTA agreed to expect none. */
static sfsistat answer(SMFICTX *ctx, unsigned long noreply_flag)
{
	struct nm_priv *p = smfi_getpriv(ctx);

	return (p != NULL && (p->protocol & noreply_flag)) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* Ask for what authmilter asks for (as far as the MTA offers it). */
static sfsistat nm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
			     unsigned long f3, unsigned long *pf0, unsigned long *pf1,
			     unsigned long *pf2, unsigned long *pf3)
{
	struct nm_priv *p = calloc(1, sizeof(*p));

	(void)f2, (void)f3;
	if (p == NULL)
		return SMFIS_TEMPFAIL;
	*pf0 = f0 & want_actions;
	*pf1 = f1 & want_protocol & ~MDS_MASK;
	*pf2 = *pf3 = 0;
	p->protocol = *pf1;
	smfi_setpriv(ctx, p);
	for (size_t i = 0; i < NSTAGES; i++)
		if (macros[i] != NULL)
			smfi_setsymlist(ctx, (int)i, (char *)macros[i]);
	return SMFIS_CONTINUE;
}

static sfsistat nm_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	(void)host, (void)addr;
	return answer(ctx, SMFIP_NR_CONN);
}

static sfsistat nm_helo(SMFICTX *ctx, char *helo)
{
	(void)helo;
	return answer(ctx, SMFIP_NR_HELO);
}

static sfsistat nm_envfrom(SMFICTX *ctx, char **argv)
{
	(void)argv;
	return answer(ctx, SMFIP_NR_MAIL);
}

static sfsistat nm_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)argv;
	return answer(ctx, SMFIP_NR_RCPT);
}

static sfsistat nm_header(SMFICTX *ctx, char *name, char *value)
{
	(void)name, (void)value;
	return answer(ctx, SMFIP_NR_HDR);
}

static sfsistat nm_eoh(SMFICTX *ctx)
{
	return answer(ctx, SMFIP_NR_EOH);
}

/* Every chunk is taken (never SMFIS_SKIP): a DKIM verifier needs the body. */
static sfsistat nm_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)chunk, (void)len;
	return answer(ctx, SMFIP_NR_BODY);
}

static sfsistat nm_eom(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat nm_abort(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat nm_close(SMFICTX *ctx)
{
	free(smfi_getpriv(ctx));
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

/* Set a stage's macro list from "STAGE:MACROS"; 0 or -1. */
static int set_macros(char *arg)
{
	char *colon = strchr(arg, ':');

	if (colon == NULL)
		return -1;
	*colon = '\0';
	for (size_t i = 0; i < NSTAGES; i++)
		if (strcmp(arg, stage_names[i]) == 0) {
			macros[i] = colon[1] ? colon + 1 : NULL;
			return 0;
		}
	return -1;
}

/* A mask from hex or decimal; 0 or -1. */
static int parse_mask(const char *s, unsigned long *out)
{
	char *end;

	*out = strtoul(s, &end, 0);
	return (*s == '\0' || *end != '\0') ? -1 : 0;
}

/* libmilter's maximum data size as the SMFIP_MDS_* bits of -P say
 * (mfdef.h keeps the sizes themselves private); 0 or -1. */
static int set_data_size(void)
{
	if (want_protocol & SMFIP_MDS_1M)
		return smfi_setmaxdatasize(1024 * 1024 - 1) == MI_SUCCESS ? 0 : -1;
	if (want_protocol & SMFIP_MDS_256K)
		return smfi_setmaxdatasize(256 * 1024 - 1) == MI_SUCCESS ? 0 : -1;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: nullmilter -p SOCKET [-A ACTIONS] [-P PROTOCOL] [-M STAGE:MACROS]...\n"
		   "  stages: connect helo mail rcpt data eoh eom\n");
}

int main(int argc, char **argv)
{
	struct smfiDesc desc = {
		.xxfi_name = "nullmilter", .xxfi_version = SMFI_VERSION,
		.xxfi_connect = nm_connect, .xxfi_helo = nm_helo, .xxfi_envfrom = nm_envfrom,
		.xxfi_envrcpt = nm_envrcpt, .xxfi_header = nm_header, .xxfi_eoh = nm_eoh,
		.xxfi_body = nm_body, .xxfi_eom = nm_eom, .xxfi_abort = nm_abort,
		.xxfi_close = nm_close, .xxfi_negotiate = nm_negotiate,
	};
	const char *sock = NULL;
	int o;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	while ((o = getopt(argc, argv, "p:A:P:M:h")) != -1) {
		int bad = 0;
		switch (o) {
		case 'p': sock = optarg; break;
		case 'A': bad = parse_mask(optarg, &want_actions); break;
		case 'P': bad = parse_mask(optarg, &want_protocol); break;
		case 'M': bad = set_macros(optarg); break;
		case 'h': usage(stdout); return 0;
		default: bad = 1;
		}
		if (bad) {
			usage(stderr);
			return 64;
		}
	}
	if (sock == NULL || optind != argc) {
		usage(stderr);
		return 64;
	}
	desc.xxfi_flags = want_actions;
	umask(0);
	if (set_data_size() < 0) {
		fprintf(stderr, "nullmilter: smfi_setmaxdatasize failed\n");
		return 1;
	}
	if (smfi_setconn((char *)sock) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: cannot listen on %s\n", sock);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
