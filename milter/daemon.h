/*
 * daemon.h - process plumbing: the milter socket's directory, mode and
 * group; dropping root; the pidfile; going to the background; and the
 * SIGUSR1 reload thread.
 */
#ifndef AM_DAEMON_H
#define AM_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "am_runtime.h"

/* The path of a unix:/local: socket spec, or NULL for inet sockets. */
const char *am_daemon_socket_path(const char *spec);

/* Create the socket's parent directory if missing (owned by uid/gid). */
int am_daemon_prepare_socket_dir(const char *spec, uid_t uid, gid_t gid, char *err, size_t errlen);

/* After libmilter created the socket: give it to uid (when root) and to
 * group, or gid when group is empty, and set its mode. */
int am_daemon_socket_perms(const char *spec, int mode, const char *group, uid_t uid, gid_t gid,
			   char *err, size_t errlen);

/* Look up the user to run as: uid/gid; empty user means "stay as we are"
 * but is refused when running as root. */
int am_daemon_user(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen);

/* Become uid/gid (with the user's supplementary groups). */
int am_daemon_drop_privileges(const char *user, uid_t uid, gid_t gid, char *err, size_t errlen);

int am_daemon_write_pidfile(const char *path, char *err, size_t errlen);

/* Fork into the background. The parent waits until the child calls
 * am_daemon_ready() (exit 0) or am_daemon_failed() (prints why, exit 1). */
int am_daemon_background(char *err, size_t errlen);
void am_daemon_ready(void);
void am_daemon_failed(const char *why);

/* Block SIGUSR1, SIGTERM, SIGINT and SIGHUP in this and every later
 * thread; call before any thread starts, so that only the threads that
 * wait for them (ours for SIGUSR1, libmilter's for the others) get them
 * and no other thread dies of the default action. Then start the thread
 * that reloads config_path on SIGUSR1 (socket_override: the -p socket,
 * or NULL). */
void am_daemon_block_signals(void);
int am_daemon_start_reloader(struct am_runtime_slot *slot, struct am_store_registry *stores,
			     const char *config_path, const char *socket_override, char *err,
			     size_t errlen);
void am_daemon_stop_reloader(void);

#endif
