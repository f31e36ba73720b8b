/*
 * milter_client_int.h - internals shared by the files of the milter client
 * library (connection state, packet building, reply reading). Not an API.
 */
#ifndef MILTER_CLIENT_INT_H
#define MILTER_CLIENT_INT_H

#include "milter_client.h"

/* Protocol constants (as in Sendmail's mfdef.h; our own copy, no libmilter). */
#define SMFI_VERSION_MTA 6
#define SMFIC_ABORT 'A'
#define SMFIC_BODY 'B'
#define SMFIC_CONNECT 'C'
#define SMFIC_MACRO 'D'
#define SMFIC_BODYEOB 'E'
#define SMFIC_HELO 'H'
#define SMFIC_HEADER 'L'
#define SMFIC_MAIL 'M'
#define SMFIC_EOH 'N'
#define SMFIC_OPTNEG 'O'
#define SMFIC_QUIT 'Q'
#define SMFIC_RCPT 'R'
#define SMFIC_DATA 'T'

#define SMFIP_NOCONNECT 0x1u
#define SMFIP_NOHELO 0x2u
#define SMFIP_NOMAIL 0x4u
#define SMFIP_NORCPT 0x8u
#define SMFIP_NOBODY 0x10u
#define SMFIP_NOHDRS 0x20u
#define SMFIP_NOEOH 0x40u
#define SMFIP_NR_HDR 0x80u
#define SMFIP_NODATA 0x200u
#define SMFIP_NR_CONN 0x1000u
#define SMFIP_NR_HELO 0x2000u
#define SMFIP_NR_MAIL 0x4000u
#define SMFIP_NR_RCPT 0x8000u
#define SMFIP_NR_DATA 0x10000u
#define SMFIP_NR_EOH 0x40000u
#define SMFIP_NR_BODY 0x80000u
#define SMFIP_HDR_LEADSPC 0x100000u
#define MC_ALL_ACTIONS 0x1ffu
#define MC_ALL_PROTOCOL 0x1fffffu

#define MC_NSYMLISTS 7 /* SMFIM_CONNECT .. SMFIM_EOH */

struct mc_macro_ent {
	char name[MC_MACRO_NAME_MAX];
	char value[MC_MACRO_VALUE_MAX];
	int user;    /* set by mc_macro(): library values never overwrite it */
	int pending; /* caller macro not yet sent with an event */
	int msgscope; /* library value of the current message, cleared at MAIL */
};

enum mc_connstate { MC_CS_FRESH, MC_CS_OPEN, MC_CS_ENDED };

struct mc_conn {
	int fd;                  /* -1 once closed */
	int connect_timeout_ms, reply_timeout_ms;
	uint32_t version, actions, protocol; /* the filter's answer */
	char *symlist[MC_NSYMLISTS];
	int skip_cmd;            /* event type skipped after SMFIR_SKIP, 0 none */
	struct mc_macro_ent macros[MC_MAX_MACROS];
	size_t nmacros;
	char mta_name[256];
	unsigned nmsg;           /* messages begun, for generated queue ids */
	enum mc_connstate cstate; /* for mc_message() */
	struct mc_reply cfinal;  /* connection-level verdict once ENDED */
	enum mc_stage cfinal_stage;
	unsigned char *rbuf;     /* last packet read */
	size_t rcap;
	mc_trace_fn trace;
	void *trace_arg;
};

/* A growing outgoing packet payload, bounded by MC_MAX_PACKET. */
struct mc_pkt {
	unsigned char *p;
	size_t len, cap;
	int overflow;
};

void mc_pkt_init(struct mc_pkt *b);
void mc_pkt_free(struct mc_pkt *b);
void mc_pkt_bytes(struct mc_pkt *b, const void *d, size_t n);
void mc_pkt_str(struct mc_pkt *b, const char *s); /* with its NUL */
void mc_pkt_u32(struct mc_pkt *b, uint32_t v);

void mc_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int mc_send(struct mc_conn *c, char cmd, const struct mc_pkt *b, char *err, size_t errlen);
/* Read one packet into c->rbuf (NUL-terminated); *len excludes the command. */
int mc_read_packet(struct mc_conn *c, char *cmd, size_t *len, char *err, size_t errlen);
/* Read replies to event `cmd` until a decision; mods may be NULL (then a
 * modification request is a protocol error). */
int mc_read_reply(struct mc_conn *c, char cmd, struct mc_reply *r, struct mc_mods *mods,
		  char *err, size_t errlen);
void mc_shut(struct mc_conn *c);
size_t mc_strlcpy(char *dst, const char *src, size_t n);

/* Library-provided macro value (does not overwrite a caller's). */
void mc_macro_auto(struct mc_conn *c, const char *name, const char *value, int msgscope);
void mc_macro_clear_msg(struct mc_conn *c);

#endif
