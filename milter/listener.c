/*
 * listener.c - run libmilter's listener (smfi_main) on a thread of its own
 * and take the stop signals on the main thread, so that a stop takes
 * milliseconds instead of seconds.
 *
 * libmilter's listener holds its socket lock while it waits in select()
 * for up to 5 s and looks at the stop flag only between two waits; its
 * signal thread sets the flag and then waits for that lock, so SIGTERM
 * on an idle daemon took 3-5 s. Here the main thread waits for SIGTERM,
 * SIGINT and SIGHUP (Linux hands a signal sent to the process to the main
 * thread first when it waits for it), sends the same signal to the process
 * again, which only libmilter's signal thread can now take (every thread
 * blocks it, and the main thread no longer waits for it), and connects to
 * its own socket, which ends the select() at once. libmilter so stops
 * itself, through its own lock, from its own thread: calling smfi_stop()
 * here could race with smfi_main() still initialising that lock (a stop
 * right after start; ThreadSanitizer saw it), while a signal sent before
 * libmilter's signal thread exists just waits for it. Should libmilter's
 * signal thread take the first signal instead, the listener still ends
 * after its tick. What runs after smfi_main() returns (the wait for
 * callbacks still busy) is main.c's. The socket's address and the
 * connect that wakes the listener also tell instance.c whether a daemon
 * already answers on a socket.
 */
#include <libmilter/mfapi.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "am_log.h"
#include "daemon.h"
#include "listener.h"

static atomic_bool listener_done;
static int listener_rc;

/* The listener thread: libmilter's accept loop. */
static void *listen_main(void *arg)
{
	(void)arg;
	listener_rc = smfi_main();
	atomic_store(&listener_done, true);
	return NULL;
}

bool am_listener_addr(const char *spec, struct sockaddr_storage *sa, socklen_t *len)
{
	const char *path = am_daemon_socket_path(spec), *at;
	struct sockaddr_un *un = (struct sockaddr_un *)sa;
	struct sockaddr_in *in = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
	bool v6 = strncmp(spec, "inet6:", 6) == 0;

	memset(sa, 0, sizeof(*sa));
	if (path != NULL) {
		if (strlen(path) >= sizeof(un->sun_path))
			return false;
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, path, strlen(path) + 1);
		*len = sizeof(*un);
		return true;
	}
	if (strncmp(spec, "inet:", 5) != 0 && !v6)
		return false;
	at = strchr(spec, '@');
	if (v6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)atoi(spec + 6));
		*len = sizeof(*in6);
		return inet_pton(AF_INET6, at ? at + 1 : "::1", &in6->sin6_addr) == 1;
	}
	in->sin_family = AF_INET;
	in->sin_port = htons((unsigned short)atoi(spec + 5));
	*len = sizeof(*in);
	return inet_pton(AF_INET, at ? at + 1 : "127.0.0.1", &in->sin_addr) == 1;
}

bool am_listener_answers(const struct sockaddr_storage *sa, socklen_t len)
{
	int fd = socket(sa->ss_family, SOCK_STREAM, 0);
	bool accepted;

	if (fd < 0)
		return false;
	accepted = connect(fd, (const struct sockaddr *)sa, len) == 0;
	close(fd);
	return accepted;
}

/* Wait for a stop signal or for the listener to end on its own. */
static int wait_for_stop(void)
{
	const struct timespec tick = {0, 100 * 1000000L};
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	while (!atomic_load(&listener_done) && (sig = sigtimedwait(&set, NULL, &tick)) <= 0)
		;
	return sig > 0 ? sig : 0;
}

int am_listener_run(const char *spec)
{
	const struct timespec nap = {0, 50 * 1000000L};
	struct sockaddr_storage sa;
	socklen_t salen = 0;
	pthread_t listener;
	bool can_poke = am_listener_addr(spec, &sa, &salen), stopping = false;
	int sig;

	if (pthread_create(&listener, NULL, listen_main, NULL) != 0)
		return smfi_main();
	if ((sig = wait_for_stop()) != 0) {
		am_log(LOG_INFO, "%s: stopping the listener",
		       sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGHUP");
		stopping = kill(getpid(), sig) == 0;   /* for libmilter's signal thread */
		/* Connect to our own socket and hang up (the listener's select()
		 * returns) until the listener is gone: a poke that lands before
		 * the flag is set only costs one more turn of the loop, and one
		 * refused (the socket is closed already) nothing. */
		for (int i = 0; can_poke && stopping && !atomic_load(&listener_done) && i < 200; i++) {
			(void)am_listener_answers(&sa, salen);
			nanosleep(&nap, NULL);
		}
	}
	pthread_join(listener, NULL);
	return listener_rc;
}
