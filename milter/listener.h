/*
 * listener.h - libmilter's listener on its own thread, stop signals on
 * the main thread (see listener.c); the address of a socket spec and
 * whether something answers there (also instance.c's question).
 */
#ifndef AM_LISTENER_H
#define AM_LISTENER_H

#include <stdbool.h>
#include <sys/socket.h>

/* Run smfi_main() until SIGTERM, SIGINT or SIGHUP (or until it ends on its
 * own) and return its result. spec: the socket, to wake the listener.
 * The caller has blocked those signals in every thread. */
int am_listener_run(const char *spec);

/* Fill sa for the socket spec (unix:PATH, inet:PORT[@ADDR],
 * inet6:PORT[@ADDR]; no ADDR: all addresses, so loopback reaches it);
 * false when ADDR is a host name (the stop then takes libmilter's tick)
 * or PATH is too long for a unix socket address. */
bool am_listener_addr(const char *spec, struct sockaddr_storage *sa, socklen_t *len);

/* Connect to sa and hang up: true when something accepted. */
bool am_listener_answers(const struct sockaddr_storage *sa, socklen_t len);

#endif
