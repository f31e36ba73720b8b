/*
 * listener.h - libmilter's listener on its own thread, stop signals on
 * the main thread (see listener.c).
 */
#ifndef AM_LISTENER_H
#define AM_LISTENER_H

/* Run smfi_main() until SIGTERM, SIGINT or SIGHUP (or until it ends on its
 * own) and return its result. spec: the socket, to wake the listener.
 * The caller has blocked those signals in every thread. */
int am_listener_run(const char *spec);

#endif
