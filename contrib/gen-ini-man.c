/*
 * gen-ini-man.c - writes the authmilter.ini(5) manual page (mdoc) from the
 * option table in lib/am_options.c, so the page lists exactly the options
 * the loader knows, with their defaults, ranges and help. Run by make at
 * build time; it reads nothing but the table and its command line.
 *
 *   gen-ini-man [-d DATE] > authmilter.ini.5
 *
 * It does not describe the daemon (authmilter(8), written by hand).
 */
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "am_config.h"

/* One line of introduction per section; sections missing here get none. */
static const struct {
	const char *section;
	const char *intro;
} intros[] = {
	{"milter", "The milter socket and the process."},
	{"server", "Who is checked and how our header names this host."},
	{"log", "The decision lines (one per message) and their detail."},
	{"dns", "The one resolver every check uses, and its time limits."},
	{"spf", "Sender Policy Framework (RFC 7208)."},
	{"policy", "How results become an answer to the MTA."},
	{"greylist", "Greylisting (RFC 6647) and its store."},
	{"dkim", "DomainKeys Identified Mail verification (RFC 6376, RFC 8463)."},
	{"dmarc", "Domain-based Message Authentication, Reporting and Conformance, by default as "
		  "RFC 9989 says: the policy found by the DNS tree walk (section 4.10), t= and psd= "
		  "honoured and a record without p= read as p=none (4.7), pct= ignored (appendix "
		  "A.6). A failure under an effective policy of none (p=none, or t=y on "
		  "p=quarantine) changes nothing (5.4). A failure under an effective p=reject is "
		  "quarantined unless there is evidence of a spoof (reject_evidence), since "
		  "receivers must not reject solely on p=reject (7.4). A quarantine is delivery "
		  "with a marker header (quarantine_action), and every deviation from the "
		  "published policy is logged as dmarc_override= with its RFC 9990 PolicyOverride "
		  "type. RFC 7489 behaviour comes back with discovery = psl, strict = yes, "
		  "quarantine_action = quarantine, [dkim] partial_body = pass and [scores] "
		  "dmarc_fail_none = 3; strict = yes rejects mailing-list mail and gets "
		  "recipients unsubscribed from their lists."},
	{"metrics", "The Prometheus metrics endpoint."},
	{"report", "DMARC aggregate reports (RFC 9990): the daemon's report data, and the settings "
		   "of authmilter-dmarc-report(8), which reads this section."},
	{"thresholds", "Total scores at which a message is quarantined or rejected."},
	{"scores", "Points each check result adds to a message's total score."},
};

/* Write one roff text line: backslashes escaped, a leading control
 * character neutralised. */
static void put_line(const char *s, size_t n)
{
	if (n > 0 && (*s == '.' || *s == '\''))
		fputs("\\&", stdout);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\')
			fputs("\\e", stdout);
		else
			putchar(s[i]);
	}
	putchar('\n');
}

/* Write text as roff text lines of at most TEXT_WIDTH bytes, broken at
 * blanks (mandoc -Tlint wants input lines under 80 bytes). */
#define TEXT_WIDTH 76
static void put_text(const char *s, size_t n)
{
	while (n > 0) {
		size_t len = n, cut;

		while (n > 0 && *s == ' ')
			s++, n--;
		if (n == 0)
			return;
		len = n;
		if (len > TEXT_WIDTH) {
			for (cut = TEXT_WIDTH; cut > 0 && s[cut] != ' '; cut--)
				;
			if (cut == 0)   /* one long word: break after it */
				for (cut = TEXT_WIDTH; cut < n && s[cut] != ' '; cut++)
					;
			len = cut;
		}
		put_line(s, len);
		s += len;
		n -= len;
	}
}

/* Write s as one quoted mdoc macro argument. */
static void put_quoted(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '"')
			fputs("\\(dq", stdout);
		else
			putchar(*s);
	}
	putchar('"');
}

/* Help text, one sentence per line (the roff convention). */
static void put_sentences(const char *help)
{
	const char *start = help;

	for (const char *p = help; *p; p++) {
		if (p[0] == '.' && p[1] == ' ' && p[2] >= 'A' && p[2] <= 'Z') {
			put_text(start, (size_t)(p + 1 - start));
			start = p + 2;
		}
	}
	if (*start)
		put_text(start, strlen(start));
}

/* The placeholder shown after "key =" for an option's type. */
static const char *placeholder(enum am_opt_type t)
{
	switch (t) {
	case AM_OPT_BOOL: return "yes | no";
	case AM_OPT_INT: return "number";
	case AM_OPT_OCTAL: return "mode";
	case AM_OPT_STRING: return "text";
	case AM_OPT_CIDRS: return "networks";
	case AM_OPT_SOCKET: return "socket";
	case AM_OPT_ACTION: return "action";
	case AM_OPT_SCORE: return "points";
	case AM_OPT_CHOICE: return "word";
	case AM_OPT_CHOICES: return "words";
	case AM_OPT_WORDS: return "words";
	}
	return "value";
}

/* The allowed words of a choice, as ".Cm a , b , c" on one macro line. */
static void put_choices(const char *lead, const char *choices)
{
	char word[64];
	const char *p = choices;
	bool first = true;

	printf("%s\n.Cm", lead);
	while (*p) {
		size_t n = strcspn(p, " ");
		if (n > 0 && n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = '\0';
			printf("%s ", first ? "" : " ,");
			put_quoted(word);
			first = false;
		}
		p += n;
		p += strspn(p, " ");
	}
	printf(" .\n");
}

/* What values the option takes: range or words. */
static void put_range(const struct am_option *o)
{
	switch (o->type) {
	case AM_OPT_BOOL: printf("Yes or no (also true/false, on/off, 1/0).\n"); break;
	case AM_OPT_INT:
	case AM_OPT_SCORE: printf("A whole number from %ld to %ld.\n", o->min, o->max); break;
	case AM_OPT_OCTAL: printf("An octal file mode from %04lo to %04lo.\n", o->min, o->max); break;
	case AM_OPT_CIDRS: printf("A list of address[/prefix], separated by blanks or commas.\n"); break;
	case AM_OPT_SOCKET: break;   /* the help names the forms */
	case AM_OPT_ACTION:
	case AM_OPT_CHOICE:
		if (o->choices)
			put_choices("One of", o->choices);
		break;
	case AM_OPT_CHOICES:
		if (o->choices)
			put_choices("A list of", o->choices);
		break;
	case AM_OPT_WORDS: printf("A list of words, separated by blanks or commas.\n"); break;
	case AM_OPT_STRING: break;
	}
}

/* One option as an item of the section's tag list. */
static void put_option(const struct am_option *o)
{
	printf(".It Cm %s No = Ar ", o->key);
	put_quoted(placeholder(o->type));
	putchar('\n');
	put_sentences(o->help);
	put_range(o);
	if (o->def[0] == '\0') {
		printf("Default: empty.\n");
	} else {
		printf("Default:\n.Ql ");
		put_quoted(o->def);
		printf(" .\n");
	}
}

/* Has the section of option i been printed before it (table order)? */
static bool section_seen_before(size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(am_options[j].section, am_options[i].section) == 0)
			return true;
	return false;
}

/* One section: its introduction and every option, in table order. */
static void put_section(const char *section)
{
	printf(".Ss The [%s] section\n", section);
	for (size_t k = 0; k < sizeof(intros) / sizeof(intros[0]); k++)
		if (strcmp(intros[k].section, section) == 0)
			put_sentences(intros[k].intro);
	printf(".Bl -tag -width Ds\n");
	for (size_t i = 0; i < am_options_count; i++)
		if (strcmp(am_options[i].section, section) == 0)
			put_option(&am_options[i]);
	printf(".El\n");
}

/* NAME, SYNOPSIS and the file's syntax. */
static void put_head(const char *date)
{
	printf(".\\\" Generated by contrib/gen-ini-man from lib/am_options.c; do not edit.\n");
	printf(".Dd %s\n.Dt AUTHMILTER.INI 5\n.Os\n", date);
	printf(".Sh NAME\n.Nm authmilter.ini\n.Nd configuration file of the authmilter mail filter\n");
	printf(".Sh DESCRIPTION\n"
	       ".Xr authmilter 8\n"
	       "reads one ini file at start and again on\n.Dv SIGUSR1 .\n"
	       "A line\n.Ql \"[section]\"\nstarts a section; a line\n"
	       ".Ql \"key = value\"\nsets an option of it.\n"
	       "Lines starting with\n.Ql \";\"\nor\n.Ql #\nare comments.\n"
	       "After a value, a blank and\n.Ql \";\"\nstart a comment.\n"
	       "A list (networks, words) may continue on indented lines.\n"
	       "Options not in the file keep their defaults.\n"
	       ".Pp\n"
	       "An unknown section or key, a bad number, network, socket or word is an error:\n"
	       "the daemon does not start (or, on a reload, keeps the running configuration)\n"
	       "and names the file, the line and the reason.\n"
	       ".Ql \"authmilter -n -c FILE\"\nchecks a file without starting.\n"
	       ".Sh OPTIONS\n"
	       "Every option the daemon knows, by section, with the values it takes\n"
	       "and its default.\n");
}

/* FILES, EXAMPLES and SEE ALSO. */
static void put_tail(void)
{
	printf(".Sh FILES\n.Bl -tag -width Ds\n"
	       ".It Pa /etc/authmilter/authmilter.ini\n"
	       "The configuration as installed by the Debian package\n"
	       "(a source build uses\n.Pa \\(dqSYSCONFDIR/authmilter/authmilter.ini\\(dq ) .\n"
	       ".El\n");
	printf(".Sh EXAMPLES\n"
	       "Reject SPF failures at RCPT and check mail from every network:\n"
	       ".Bd -literal -offset indent\n"
	       "[server]\ntrusted_networks =\n[spf]\nfail_action = reject\n[dmarc]\nenable = no\n"
	       ".Ed\n");
	printf(".Sh SEE ALSO\n.Xr authmilter 8\n");
}

/* Options, then the page on standard output. */
int main(int argc, char **argv)
{
	const char *date = "January 1, 2025";
	int c;

	static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};

	while ((c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': date = optarg; break;
		case 'h':
			printf("usage: gen-ini-man [-d DATE]\n"
			       "Writes authmilter.ini(5) from the option table to standard output.\n");
			return 0;
		default:
			fprintf(stderr, "usage: gen-ini-man [-d DATE]\n");
			return 64;
		}
	}
	put_head(date);
	for (size_t i = 0; i < am_options_count; i++)
		if (!section_seen_before(i))
			put_section(am_options[i].section);
	put_tail();
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
