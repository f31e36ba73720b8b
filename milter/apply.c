/*
 * apply.c - the one place a verdict becomes smfi_* calls: SMTP replies
 * (wire text loses CR/LF and has '%' doubled, as smfi_setreply needs),
 * forged-header deletion by index (highest first, so earlier indexes stay
 * valid), our headers (AR, BIMI-Location) inserted near the top, and
 * quarantine.
 */
#include <stdio.h>
#include <string.h>

#include "am_log.h"
#include "apply.h"

/* smfi_setreply with text made safe: one line, '%' escaped. */
static void set_reply(SMFICTX *ctx, const struct am_verdict *v)
{
	char text[512];
	size_t o = 0;

	for (const char *p = v->text; *p && o + 2 < sizeof(text); p++) {
		if (*p == '\r' || *p == '\n' || (unsigned char)*p < 0x20)
			text[o++] = ' ';
		else if (*p == '%') {
			text[o++] = '%';
			text[o++] = '%';
		} else
			text[o++] = *p;
	}
	text[o] = '\0';
	if (v->code[0] && smfi_setreply(ctx, (char *)v->code, (char *)v->xcode, text) != MI_SUCCESS)
		am_log(LOG_WARNING, "smfi_setreply(%s %s) failed; the MTA uses its default reply",
		       v->code, v->xcode);
}

/* Tempfail and reject carry a reply; everything else goes on. */
static sfsistat refuse_or(SMFICTX *ctx, const struct am_verdict *v, sfsistat otherwise)
{
	if (v->action == AM_ACT_TEMPFAIL) {
		set_reply(ctx, v);
		return SMFIS_TEMPFAIL;
	}
	if (v->action == AM_ACT_REJECT) {
		set_reply(ctx, v);
		return SMFIS_REJECT;
	}
	return otherwise;
}

sfsistat am_apply_rcpt(SMFICTX *ctx, const struct am_verdict *v)
{
	return refuse_or(ctx, v, SMFIS_CONTINUE);
}

/* Header edits and quarantine for a message we let through. */
sfsistat am_apply_eom(SMFICTX *ctx, const struct am_verdict *v, const struct am_edits *e,
		      bool leadspc)
{
	char value[AM_AUTHRES_MAX + 2];

	if (v->action == AM_ACT_TEMPFAIL || v->action == AM_ACT_REJECT)
		return refuse_or(ctx, v, SMFIS_CONTINUE);
	for (unsigned i = 0; i < e->ndeletes; i++) {
		if (smfi_chgheader(ctx, (char *)e->deletes[i].name, (int)e->deletes[i].index, NULL) !=
		    MI_SUCCESS) {
			am_log(LOG_ERR, "cannot delete forged %s header #%u; tempfailing",
			       e->deletes[i].name, e->deletes[i].index);
			return SMFIS_TEMPFAIL;
		}
	}
	if (e->add_bimi_location) {   /* BIMI: below our AR, which goes in next at index 1 */
		snprintf(value, sizeof(value), "%s%s", leadspc ? " " : "", e->bimi_location);
		if (smfi_insheader(ctx, 1, "BIMI-Location", value) != MI_SUCCESS)
			am_log(LOG_ERR, "cannot add the BIMI-Location header");
	}
	if (e->add_authres) {
		snprintf(value, sizeof(value), "%s%s", leadspc ? " " : "", e->authres);
		if (smfi_insheader(ctx, 1, "Authentication-Results", value) != MI_SUCCESS)
			am_log(LOG_ERR, "cannot add the Authentication-Results header");
	}
	if (e->add_marker) {
		snprintf(value, sizeof(value), "%s%s", leadspc ? " " : "", e->marker);
		if (smfi_addheader(ctx, (char *)e->marker_name, value) != MI_SUCCESS) {
			am_log(LOG_ERR, "cannot add the %s header; tempfailing", e->marker_name);
			return SMFIS_TEMPFAIL;
		}
	}
	if (v->action == AM_ACT_QUARANTINE &&
	    smfi_quarantine(ctx, (char *)(v->text[0] ? v->text : "authmilter")) != MI_SUCCESS) {
		am_log(LOG_ERR, "cannot quarantine the message; tempfailing rather than delivering it");
		return SMFIS_TEMPFAIL;
	}
	return SMFIS_ACCEPT;
}
