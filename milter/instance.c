/*
 * instance.c - refuse to start a second daemon on the same socket or
 * pidfile. libmilter removes an existing unix socket before it binds, and
 * removes its own at exit: a second daemon on the same config would take
 * the live socket over and then delete it, leaving the first one running
 * but unreachable. A socket nobody answers on (a killed daemon's) is stale
 * and libmilter replaces it; a pidfile naming no live authmilter is stale.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "instance.h"
#include "listener.h"

/* True when something accepts connections on the socket of spec. */
static bool socket_answers(const char *spec)
{
	struct sockaddr_storage sa;
	socklen_t len;

	return am_listener_addr(spec, &sa, &len) && am_listener_answers(&sa, len);
}

/* The pid in the pidfile when that process is alive and is an authmilter
 * (a pid reused by another program after a crash or reboot is no
 * reason to refuse), else 0. */
static long live_pid(const char *pidfile)
{
	char proc[64], comm[64] = "";
	long pid = 0;
	FILE *f;

	if (pidfile == NULL || *pidfile == '\0' || (f = fopen(pidfile, "r")) == NULL)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 0 || pid == (long)getpid() || (kill((pid_t)pid, 0) != 0 && errno != EPERM))
		return 0;
	snprintf(proc, sizeof(proc), "/proc/%ld/comm", pid);
	if ((f = fopen(proc, "r")) == NULL)
		return pid;  /* no /proc to ask: trust the pidfile */
	if (fgets(comm, sizeof(comm), f) == NULL)
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "authmilter", 10) == 0 ? pid : 0;
}

int am_instance_check(const char *spec, const char *pidfile, char *err, size_t errlen)
{
	const char *path = am_daemon_socket_path(spec);
	long pid = live_pid(pidfile);

	if (path != NULL && socket_answers(spec)) {
		if (pid > 0)
			snprintf(err, errlen, "authmilter is already running (pid %ld) on %s; stop it first",
				 pid, path);
		else
			snprintf(err, errlen, "a daemon is already listening on %s; stop it first "
				 "(starting would take its socket over)", path);
		return -1;
	}
	if (pid > 0) {
		snprintf(err, errlen, "authmilter is already running (pid %ld in %s); stop it first", pid,
			 pidfile);
		return -1;
	}
	return 0;
}
