/*
 * dkim_fixture.h - read the DKIM test fixtures (t/data/dkim/: signed
 * messages, keys.zone, private keys) from the source tree ($top_srcdir, or
 * the current directory). For the unit tests only.
 */
#ifndef AM_DKIM_FIXTURE_H
#define AM_DKIM_FIXTURE_H

/* The file t/data/dkim/NAME, NUL-terminated, to free(); NULL if unreadable. */
char *dkim_fixture(const char *name);

#endif
