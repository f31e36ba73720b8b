/*
 * test_am_domlist.c - "this name or below it" (lib/am_domlist.c): the one
 * test that the ini file's domain lists, DMARC's organisational domains
 * and its forwarder lists, and the greylist's word lists all stand on;
 * label boundaries, case, empty and final-dot edges, and a list read
 * from configuration text.
 */
#include <string.h>

#include "am_domlist.h"
#include "tap.h"

struct within_case {
	const char *name, *parent;
	bool want;
};

static const struct within_case within_cases[] = {
	{"example.com", "example.com", true},
	{"mail.example.com", "example.com", true},
	{"a.b.example.com", "example.com", true},
	{"MAIL.Example.COM", "example.com", true},
	{"badexample.com", "example.com", false}, /* no label boundary */
	{"example.com", "mail.example.com", false},
	{"com", "example.com", false},
	{"example.com", "", false}, /* an empty parent matches nothing */
	{"", "", false},
	{"example.org", "example.com", false},
};

static void test_within(void)
{
	for (size_t i = 0; i < sizeof(within_cases) / sizeof(within_cases[0]); i++) {
		const struct within_case *c = &within_cases[i];
		ok(am_domain_within(c->name, c->parent) == c->want, "\"%s\" %s \"%s\"", c->name,
		   c->want ? "within" : "not within", c->parent);
	}
	/* lengths, not terminators, bound both names */
	ok(am_domain_within_n("mail.example.com.", 16, "example.com,x", 11),
	   "lengths bound name and parent");
	ok(!am_domain_within_n("mail.example.com", 16, "example.co", 10),
	   "a parent cut short does not match mid-label");
}

static void test_entry(void)
{
	ok(am_domlist_entry_matches("example.com", "example.com"), "plain entry: the name itself");
	ok(!am_domlist_entry_matches("example.com", "mail.example.com"), "plain entry: not below it");
	ok(am_domlist_entry_matches("Example.com", "example.COM"), "plain entry: case does not matter");
	ok(am_domlist_entry_matches(".example.com", "example.com"), "dot entry: the name itself");
	ok(am_domlist_entry_matches(".example.com", "lists.example.com"), "dot entry: below it");
	ok(!am_domlist_entry_matches(".example.com", "notexample.com"), "dot entry: label boundary");
	ok(!am_domlist_entry_matches(".", "example.com"), "a lone dot matches nothing");
}

static bool has(const char *list, const char *name)
{
	return am_domlist_has(list, name, strlen(name));
}

static void test_list(void)
{
	const char *list = " a.example, .b.example\t.c.example.,d.example. ";

	ok(has(list, "a.example") && !has(list, "x.a.example"), "listed name, not below it");
	ok(has(list, "b.example") && has(list, "x.b.example") && !has(list, "xb.example"),
	   "\".name\": it and below it, at a label boundary");
	ok(has(list, "y.c.example") && has(list, "c.example."), "final dots on entry and name ignored");
	ok(has(list, "D.EXAMPLE") && !has(list, "e.example"), "case ignored; unlisted names refused");
	ok(!has(NULL, "a.example") && !has("", "a.example") && !has(" , ", "a.example"),
	   "NULL, empty and separator-only lists hold nothing");
	ok(!has(". ,", "a.example"), "a lone dot entry holds nothing");
}

int main(void)
{
	test_within();
	test_entry();
	test_list();
	return done_testing();
}
