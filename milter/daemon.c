/*
 * daemon.c - process plumbing for milter/main.c: socket directory and
 * permissions (Postfix's smtpd runs as user postfix and must be able to
 * write the socket), privilege drop, pidfile, background start that
 * reports start-up errors to the shell, and the reload thread.
 *
 * Reload is SIGUSR1, not SIGHUP: libmilter's own signal thread turns
 * SIGHUP (like SIGTERM and SIGINT) into a stop. A reload builds a whole new
 * generation first; if the new config or any handle fails, the old
 * generation keeps running and the log says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "am_log.h"
#include "daemon.h"

const char *am_daemon_socket_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return NULL;
}

int am_daemon_prepare_socket_dir(const char *spec, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	const char *path = am_daemon_socket_path(spec);
	char dir[4096];
	char *slash;
	struct stat st;

	if (path == NULL)
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (stat(dir, &st) == 0)
		return 0;
	if (mkdir(dir, 0755) != 0 || chown(dir, uid, gid) != 0) {
		snprintf(err, errlen, "cannot create socket directory %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int am_daemon_socket_perms(const char *spec, int mode, const char *group, uid_t uid, gid_t gid,
			   char *err, size_t errlen)
{
	const char *path = am_daemon_socket_path(spec);

	if (path == NULL)
		return 0;
	if (group != NULL && *group != '\0') {
		struct group *gr = getgrnam(group);
		if (gr == NULL) {
			snprintf(err, errlen, "socket_group '%s' does not exist", group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	/* libmilter made the socket while we are still root: hand it to the
	 * user we become (and its group, or socket_group), so "0660 and the
	 * MTA in the daemon's group" works as documented. */
	if (chown(path, getuid() == 0 ? uid : (uid_t)-1, gid) != 0) {
		snprintf(err, errlen, "chown %s to %ld:%ld: %s", path, (long)uid, (long)gid, strerror(errno));
		return -1;
	}
	if (chmod(path, (mode_t)mode) != 0) {
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int am_daemon_user(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd *pw;

	*uid = getuid();
	*gid = getgid();
	if (user == NULL || *user == '\0') {
		if (*uid == 0) {
			snprintf(err, errlen, "refusing to run as root: set [milter] user");
			return -1;
		}
		return 0;
	}
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user '%s' does not exist", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int am_daemon_drop_privileges(const char *user, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (getuid() == uid && geteuid() == uid)
		return 0;
	if (initgroups(user, gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
		snprintf(err, errlen, "cannot become user %s: %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(err, errlen, "could regain root after dropping privileges");
		return -1;
	}
	return 0;
}

int am_daemon_write_pidfile(const char *path, char *err, size_t errlen)
{
	FILE *f;

	if (path == NULL || *path == '\0')
		return 0;
	if ((f = fopen(path, "w")) == NULL) {
		snprintf(err, errlen, "pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) == 0 ? 0 : -1;
}

/* Write end of the start-up pipe while starting in the background. */
static int ready_fd = -1;

int am_daemon_background(char *err, size_t errlen)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		snprintf(err, errlen, "cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		char buf[1024];
		ssize_t n;
		close(fds[1]);
		n = read(fds[0], buf, sizeof(buf) - 1);
		if (n == 1 && buf[0] == '\0')
			_exit(0);
		buf[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "authmilter: %s\n", n > 0 ? buf : "failed to start (see the mail log)");
		_exit(1);
	}
	close(fds[0]);
	ready_fd = fds[1];
	setsid();
	if (chdir("/") != 0)
		return -1;
	int devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0), dup2(devnull, 1), dup2(devnull, 2);
		if (devnull > 2)
			close(devnull);
	}
	return 0;
}

void am_daemon_ready(void)
{
	if (ready_fd >= 0) {
		if (write(ready_fd, "", 1) != 1)
			am_log(LOG_WARNING, "could not tell the starting shell we are ready");
		close(ready_fd);
		ready_fd = -1;
	}
}

void am_daemon_failed(const char *why)
{
	if (ready_fd >= 0) {
		if (write(ready_fd, why, strlen(why)) < 0)
			am_log(LOG_WARNING, "could not report the start-up error");
		close(ready_fd);
		ready_fd = -1;
	}
}

/* The reload thread's state (set before it starts). */
static struct {
	pthread_t thread;
	struct am_runtime_slot *slot;
	const char *path;
	const char *socket_override;  /* -p, applied to every reloaded config */
	struct am_store_registry *stores;
	atomic_bool stop;
	bool running;
} reloader;

void am_daemon_block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Load the config again and swap in a new generation, or keep the old. */
static void reload_once(void)
{
	char err[512];
	struct am_runtime *old = am_runtime_slot_get(reloader.slot);
	unsigned long next = old ? old->generation + 1 : 1;
	struct am_config *cfg = am_config_load(reloader.path, err, sizeof(err));
	struct am_runtime *rt = NULL;

	if (cfg != NULL && reloader.socket_override != NULL &&
	    am_config_set(cfg, "milter", "socket", reloader.socket_override, "-p", 0, err,
			  sizeof(err)) != 0) {
		am_config_free(cfg);
		cfg = NULL;
	}
	if (cfg != NULL)
		rt = am_runtime_new(cfg, reloader.stores, next, err, sizeof(err));

	if (rt == NULL) {
		am_log(LOG_ERR, "reload failed, keeping generation %lu: %s", old ? old->generation : 0, err);
	} else {
		if (old && strcmp(old->cfg->socket, rt->cfg->socket) != 0)
			am_log(LOG_WARNING, "reload: a new socket takes a restart; still on %s",
			       old->cfg->socket);
		am_runtime_slot_swap(reloader.slot, rt);
		am_log(LOG_INFO, "reloaded %s: generation %lu", reloader.path, next);
	}
	am_runtime_unref(old);
}

static void *reload_loop(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	while (sigwait(&set, &sig) == 0 && !atomic_load(&reloader.stop))
		reload_once();
	return NULL;
}

int am_daemon_start_reloader(struct am_runtime_slot *slot, struct am_store_registry *stores,
			     const char *config_path, const char *socket_override, char *err,
			     size_t errlen)
{
	reloader.stores = stores;
	reloader.slot = slot;
	reloader.path = config_path;
	reloader.socket_override = socket_override;
	if (pthread_create(&reloader.thread, NULL, reload_loop, NULL) != 0) {
		snprintf(err, errlen, "cannot start the reload thread");
		return -1;
	}
	reloader.running = true;
	return 0;
}

void am_daemon_stop_reloader(void)
{
	if (!reloader.running)
		return;
	atomic_store(&reloader.stop, true);
	pthread_kill(reloader.thread, SIGUSR1);
	pthread_join(reloader.thread, NULL);
	reloader.running = false;
}
