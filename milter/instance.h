/*
 * instance.h - one daemon per socket and pidfile (see instance.c).
 */
#ifndef AM_INSTANCE_H
#define AM_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>

/* -1 (and why) when a daemon already answers on the unix socket of spec
 * or the pidfile names a live authmilter; 0 when this one may start. */
int am_instance_check(const char *spec, const char *pidfile, char *err, size_t errlen);

#endif
