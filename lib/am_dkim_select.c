/*
 * am_dkim_select.c - the order DKIM signatures are verified in when there
 * are more than may be (see am_dkim_select.h).
 */
#include "am_dkim_select.h"

#include <string.h>
#include <strings.h>

/* Trailing labels a and b share (case-insensitive, one trailing dot
 * ignored); a full match ranks above any partial one. */
static size_t shared_labels(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = 0;
	la -= la > 0 && a[la - 1] == '.';
	lb -= lb > 0 && b[lb - 1] == '.';
	if (la == lb && la > 0 && strncasecmp(a, b, la) == 0)
		return 1000;
	while (la > 0 && lb > 0) {
		size_t i = la, j = lb;
		while (i > 0 && a[i - 1] != '.')
			i--;
		while (j > 0 && b[j - 1] != '.')
			j--;
		if (la - i != lb - j || strncasecmp(a + i, b + j, la - i) != 0)
			break;
		n++;
		la = i > 0 ? i - 1 : 0;
		lb = j > 0 ? j - 1 : 0;
		if (i == 0 || j == 0)
			break;
	}
	return n;
}

/* Rank of one d= against every author domain: the best match. */
static size_t rank(const char *d, const char *const *authors, size_t nauthors)
{
	size_t best = 0;
	for (size_t k = 0; d != NULL && k < nauthors; k++) {
		size_t r = authors[k] ? shared_labels(d, authors[k]) : 0;
		if (r > best)
			best = r;
	}
	return best;
}

/* Pick the signatures to verify; see am_dkim_select.h. */
void am_dkim_select(const char *const *d, size_t n, const char *const *authors, size_t nauthors,
		    size_t max, bool *verify)
{
	memset(verify, 0, n * sizeof *verify);
	for (size_t picked = 0; picked < max && picked < n; picked++) {
		size_t best = n, best_rank = 0;
		for (size_t i = 0; i < n; i++) {
			size_t r = rank(d[i], authors, nauthors);
			if (!verify[i] && (best == n || r > best_rank)) {
				best = i;
				best_rank = r;
			}
		}
		verify[best] = true;
	}
}
