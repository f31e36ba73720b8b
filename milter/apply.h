/*
 * apply.h - turns a verdict and header edits into smfi_* calls.
 */
#ifndef AM_APPLY_H
#define AM_APPLY_H

#include <libmilter/mfapi.h>
#include <stdbool.h>

#include "am_policy.h"
#include "am_session.h"

/* Answer for a recipient: continue, or tempfail/reject with our reply. */
sfsistat am_apply_rcpt(SMFICTX *ctx, const struct am_verdict *v);

/* End of message: delete forged headers, add ours (with a leading space
 * when SMFIP_HDR_LEADSPC was negotiated), quarantine, or refuse. */
sfsistat am_apply_eom(SMFICTX *ctx, const struct am_verdict *v, const struct am_edits *e,
		      bool leadspc);

#endif
