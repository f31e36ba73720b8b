/*
 * checkconf.c - the checks of a loaded configuration that need the
 * machine: the [milter] user and socket_group exist, the socket's and the
 * pidfile's directories exist (or can be made), the files the daemon reads
 * are readable and the greylist store's directory writable by that user
 * (not by root: `-n` usually runs as root, for whom access() says yes to
 * everything), the nameservers parse (the metrics address is parsed with
 * the rest of the configuration, am_runtime_check_config). Start and
 * `-n` run the same checks; errors name FILE:LINE of the key, the line
 * the loader recorded (or say the value is the default). Warnings (a DNS
 * budget below one query's timeout, a quarantine threshold above the
 * reject one) do not stop the start.
 * Opening the stores is not done here: nothing may create files as root.
 */
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "am_dns.h"
#include "checkconf.h"
#include "daemon.h"

/* "FILE:LINE: [section] key: why", or "FILE: [section] key (default): why". */
static int fail_at(const struct am_config *cfg, const char *section, const char *key, const char *why,
		   char *err, size_t errlen)
{
	int line = am_config_line(cfg, section, key);

	if (line > 0)
		snprintf(err, errlen, "%s:%d: [%s] %s: %s", cfg->path, line, section, key, why);
	else
		snprintf(err, errlen, "%s: [%s] %s (default): %s", cfg->path, section, key, why);
	return -1;
}

void am_checkconf_locate(const struct am_config *cfg, char *err, size_t errlen)
{
	char section[64], key[64], why[1024];

	if (sscanf(err, "[%63[^]]] %63[a-z0-9_]: %1023[^\n]", section, key, why) == 3)
		fail_at(cfg, section, key, why, err, errlen);
}

/* access(path, mode) as the user the daemon becomes: a child process drops
 * to that user as the start does first. 0, or the errno it saw. */
static int user_access(const char *path, int mode, const struct am_checkconf_user *u)
{
	char why[256];
	pid_t pid;
	int st;

	if (getuid() != 0 || u->uid == 0)
		return access(path, mode) == 0 ? 0 : errno;
	if ((pid = fork()) < 0)
		return errno;
	if (pid == 0) {
		if (am_daemon_drop_privileges(u->name, u->uid, u->gid, why, sizeof(why)) != 0)
			_exit(EPERM);
		_exit(access(path, mode) == 0 ? 0 : errno);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return EIO;
	return WEXITSTATUS(st);
}

/* A file the daemon reads after dropping root. */
static int check_readable(const struct am_config *cfg, const char *section, const char *key,
			  const char *file, const struct am_checkconf_user *u, char *err, size_t errlen)
{
	char why[600];
	int e = user_access(file, R_OK, u);

	if (e == 0)
		return 0;
	snprintf(why, sizeof(why), "%s: %s%s%s", file, strerror(e), u->uid != getuid() ? " for user " : "",
		 u->uid != getuid() ? u->name : "");
	return fail_at(cfg, section, key, why, err, errlen);
}

/* The LMDB directory exists and the user may create files in it; a data
 * or lock file already there is writable by the user. */
static int check_lmdb_dir(const struct am_config *cfg, const struct am_checkconf_user *u, char *err,
			  size_t errlen)
{
	char dir[4096], lock[4200], why[4400];
	const char *file = cfg->grey_lmdb_path, *names[2] = {file, lock};
	char *slash;
	struct stat st;
	int e;

	snprintf(dir, sizeof(dir), "%s", file);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0';  /* "/x.lmdb": the directory is "/" */
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, sizeof(why), "directory %s: %s", dir,
			 access(dir, F_OK) != 0 ? strerror(errno) : "not a directory");
		return fail_at(cfg, "greylist", "lmdb_path", why, err, errlen);
	}
	if ((e = user_access(dir, W_OK | X_OK, u)) != 0) {
		snprintf(why, sizeof(why), "directory %s: %s for user %s", dir, strerror(e), u->name);
		return fail_at(cfg, "greylist", "lmdb_path", why, err, errlen);
	}
	snprintf(lock, sizeof(lock), "%s-lock", file);
	for (int i = 0; i < 2; i++)
		if (access(names[i], F_OK) == 0 && (e = user_access(names[i], R_OK | W_OK, u)) != 0) {
			snprintf(why, sizeof(why), "%s: %s for user %s", names[i], strerror(e), u->name);
			return fail_at(cfg, "greylist", "lmdb_path", why, err, errlen);
		}
	return 0;
}

/* The directory of file exists (or, with one_level, at least its parent,
 * as the start creates one missing level of the socket's directory). */
static int check_parent(const struct am_config *cfg, const char *section, const char *key,
			const char *file, bool one_level, char *err, size_t errlen)
{
	char dir[4096], why[4400];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", file);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (one_level && (slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (slash == dir || (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)))
			return 0;
		*slash = '/';
	}
	snprintf(why, sizeof(why), "directory %s does not exist%s", dir,
		 one_level ? " and cannot be created (its parent is missing)" : "");
	return fail_at(cfg, section, key, why, err, errlen);
}

/* The user to drop to exists (required as root), and so does socket_group. */
static int check_user(const struct am_config *cfg, struct am_checkconf_user *u, char *err, size_t errlen)
{
	char why[600];

	if (am_daemon_user(cfg->user, &u->uid, &u->gid, why, sizeof(why)) != 0)
		return fail_at(cfg, "milter", "user", why, err, errlen);
	snprintf(u->name, sizeof(u->name), "%s", cfg->user != NULL && *cfg->user ? cfg->user : "(self)");
	if (cfg->socket_group != NULL && *cfg->socket_group != '\0' && getgrnam(cfg->socket_group) == NULL) {
		snprintf(why, sizeof(why), "group '%s' does not exist", cfg->socket_group);
		return fail_at(cfg, "milter", "socket_group", why, err, errlen);
	}
	return 0;
}

/* The resolver settings build a libunbound context (as start does). */
static int check_dns(const struct am_config *cfg, char *err, size_t errlen)
{
	char why[600];
	struct am_dns *dns = am_dns_unbound_new(cfg->dns_nameservers, cfg->dns_trust_anchor,
						cfg->dns_timeout_ms, why, sizeof(why));

	if (dns == NULL)
		return fail_at(cfg, "dns", "nameservers", why, err, errlen);
	am_dns_destroy(dns);
	return 0;
}

/* Settings that work but are likely mistakes, one line each to warn. */
static void warnings(const struct am_config *cfg, am_checkconf_warn_fn warn)
{
	char msg[600], why[300];

	if (cfg->dns_budget_ms < cfg->dns_timeout_ms) {
		snprintf(why, sizeof(why), "%d ms is below [dns] timeout_ms (%d ms): a single slow "
			 "answer spends the whole budget", cfg->dns_budget_ms, cfg->dns_timeout_ms);
		fail_at(cfg, "dns", "message_budget_ms", why, msg, sizeof(msg));
		warn(msg);
	}
	if (cfg->threshold_quarantine > 0 && cfg->threshold_reject > 0 &&
	    cfg->threshold_quarantine > cfg->threshold_reject) {
		snprintf(why, sizeof(why), "%d is above [thresholds] reject (%d): no score quarantines",
			 cfg->threshold_quarantine, cfg->threshold_reject);
		fail_at(cfg, "thresholds", "quarantine", why, msg, sizeof(msg));
		warn(msg);
	}
}

int am_checkconf(const struct am_config *cfg, am_checkconf_warn_fn warn, struct am_checkconf_user *u,
		 char *err, size_t errlen)
{
	if (check_user(cfg, u, err, errlen) != 0)
		return -1;
	if (cfg->dmarc_enable && cfg->dmarc_discovery != NULL && strcasecmp(cfg->dmarc_discovery, "psl") == 0 &&
	    check_readable(cfg, "dmarc", "psl_file", cfg->dmarc_psl_file, u, err, errlen) != 0)
		return -1;
	if (cfg->dns_trust_anchor != NULL && *cfg->dns_trust_anchor != '\0' &&
	    check_readable(cfg, "dns", "trust_anchor_file", cfg->dns_trust_anchor, u, err, errlen) != 0)
		return -1;
	if (cfg->grey_enable && cfg->grey_store != NULL && strcasecmp(cfg->grey_store, "lmdb") == 0 &&
	    check_lmdb_dir(cfg, u, err, errlen) != 0)
		return -1;
	if (am_daemon_socket_path(cfg->socket) != NULL &&
	    check_parent(cfg, "milter", "socket", am_daemon_socket_path(cfg->socket), true, err, errlen) != 0)
		return -1;
	if (cfg->pidfile != NULL && *cfg->pidfile != '\0' &&
	    check_parent(cfg, "milter", "pidfile", cfg->pidfile, false, err, errlen) != 0)
		return -1;
	if (check_dns(cfg, err, errlen) != 0)
		return -1;
	warnings(cfg, warn);
	return 0;
}
