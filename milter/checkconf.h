/*
 * checkconf.h - the machine-dependent checks of a configuration, shared by
 * start and `authmilter -n` (see checkconf.c).
 */
#ifndef AM_CHECKCONF_H
#define AM_CHECKCONF_H

#include <stddef.h>
#include <sys/types.h>

#include "am_config.h"

/* The user the daemon runs as, filled by am_checkconf(). */
struct am_checkconf_user {
	char name[64];
	uid_t uid;
	gid_t gid;
};

/* Called with each warning ("FILE:LINE: [section] key: why"). */
typedef void (*am_checkconf_warn_fn)(const char *msg);

/* 0 when cfg (loaded from a file) can start on this machine, else -1 and
 * "FILE:LINE: [section] key: why" in err. Fills u. */
int am_checkconf(const struct am_config *cfg, am_checkconf_warn_fn warn, struct am_checkconf_user *u,
		 char *err, size_t errlen);

/* An error "[section] key: why" from a module's own check of cfg becomes
 * "FILE:LINE: [section] key: why" (other texts are left alone). */
void am_checkconf_locate(const struct am_config *cfg, char *err, size_t errlen);

#endif
