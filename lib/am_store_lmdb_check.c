/*
 * am_store_lmdb_check.c - is an existing LMDB greylist file safe to open?
 *
 * LMDB maps the file and trusts it: a file cut short makes the process die
 * of SIGBUS on the first read of a page past its end, and damaged tree
 * pages make every look-up fail (MDB_PAGE_NOTFOUND, MDB_CORRUPTED) for as
 * long as the file lives. So before the daemon (or `authmilter -n`) uses a
 * file, it is checked in a child process: the environment's own size
 * information (last page used, page size, map size, from the valid meta
 * page) against the file's size, then every page of the main and free
 * trees, read by a cursor. A crash while reading is a verdict (damaged),
 * not the end of the caller. The check never writes: it opens the file
 * read-only and uses the lock file only when one exists and is writable
 * (so a check run as root creates no root-owned lock file that would stop
 * the daemon later), else it reads without locks.
 *
 * Not here: what to do about a damaged file (am_store_lmdb.c decides:
 * refuse it or move it aside), opening the store for use.
 */
#include "am_store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Verdict letters written by the child: O ok, D damaged, U unusable. */
#define V_OK 'O'
#define V_DAMAGED 'D'
#define V_UNUSABLE 'U'

/* Write the verdict and reason to the parent and leave (no atexit, no
 * flush of buffers copied from the parent). */
static void child_say(int fd, char verdict, const char *why)
{
	char buf[400];
	int n = snprintf(buf, sizeof(buf), "%c%s", verdict, why);
	if (n > 0 && write(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1) < 0)
		_exit(3);
	_exit(0);
}

/* Read every entry of tree dbi; an LMDB code other than MDB_NOTFOUND at
 * the end means a page could not be read. *n counts the entries read. */
static int walk_tree(MDB_txn *txn, MDB_dbi dbi, size_t *n)
{
	MDB_cursor *cur;
	MDB_val k, d;
	int rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT))
		(*n)++;
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The file's size against what its valid meta page says it holds. */
static int size_check(MDB_env *env, char *why, size_t whylen)
{
	MDB_envinfo info;
	MDB_stat st;
	struct stat fs;
	int fd, rc;
	size_t need;
	if ((rc = mdb_env_info(env, &info)) != 0 || (rc = mdb_env_stat(env, &st)) != 0 ||
	    (rc = mdb_env_get_fd(env, &fd)) != 0)
		return snprintf(why, whylen, "%s", mdb_strerror(rc)), -1;
	if (fstat(fd, &fs) != 0)
		return snprintf(why, whylen, "fstat: %s", strerror(errno)), -1;
	need = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
	if ((size_t)fs.st_size < need || info.me_mapsize < need)
		return snprintf(why, whylen,
				"truncated: %lld bytes, but its last page (%zu, %u bytes each) "
				"needs %zu (map %zu)",
				(long long)fs.st_size, info.me_last_pgno, st.ms_psize, need,
				info.me_mapsize),
		       -1;
	return 0;
}

/* Read both trees in a read-only transaction; their page counts must fit
 * below the last page. */
static int tree_check(MDB_env *env, char *why, size_t whylen)
{
	MDB_envinfo info;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	MDB_stat m, f;
	size_t n = 0;
	int rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (rc == 0 && (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) == 0 &&
	    (rc = walk_tree(txn, dbi, &n)) == 0 && (rc = walk_tree(txn, 0, &n)) == 0 &&
	    (rc = mdb_stat(txn, dbi, &m)) == 0 && (rc = mdb_stat(txn, 0, &f)) == 0 &&
	    (rc = mdb_env_info(env, &info)) == 0 &&
	    m.ms_branch_pages + m.ms_leaf_pages + m.ms_overflow_pages + f.ms_branch_pages +
			    f.ms_leaf_pages + f.ms_overflow_pages >
		    info.me_last_pgno + 1)
		rc = MDB_CORRUPTED;
	if (txn)
		mdb_txn_abort(txn);
	if (rc != 0)
		snprintf(why, whylen, "unreadable page after %zu records: %s", n, mdb_strerror(rc));
	return rc == 0 ? 0 : -1;
}

/* True when the file starts as an LMDB file does (the magic number of the
 * first meta page): a file LMDB refuses is then a damaged store of ours,
 * not someone else's file that lmdb_path names by mistake. */
static bool lmdb_magic(const char *path)
{
	static const unsigned char magic[4] = {0xde, 0xc0, 0xef, 0xbe}; /* 0xBEEFC0DE, LE */
	unsigned char buf[4];
	int fd = open(path, O_RDONLY);
	bool yes = fd >= 0 && pread(fd, buf, sizeof(buf), 16) == (ssize_t)sizeof(buf) &&
		   memcmp(buf, magic, sizeof(buf)) == 0;
	if (fd >= 0)
		close(fd);
	return yes;
}

/* The child's whole job: open read-only, check, say the verdict. */
static void child_check(const char *path, size_t mapsize, int fd)
{
	char lock[4096], why[300];
	unsigned flags = MDB_NOSUBDIR | MDB_RDONLY | MDB_NOTLS;
	MDB_env *env;
	struct sigaction dfl;
	int rc;
	/* a fault while reading is the verdict: die of it plainly, without a
	 * sanitizer's report of a bug that is the file's, not ours */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGSEGV, &dfl, NULL);
	sigaction(SIGBUS, &dfl, NULL);
	snprintf(lock, sizeof(lock), "%s-lock", path);
	if (access(lock, W_OK) != 0)
		flags |= MDB_NOLOCK; /* never create one; nobody writes without it */
	if ((rc = mdb_env_create(&env)) != 0 || (rc = mdb_env_set_mapsize(env, mapsize)) != 0)
		child_say(fd, V_UNUSABLE, mdb_strerror(rc));
	rc = mdb_env_open(env, path, flags, 0600);
	if (rc == MDB_INVALID && lmdb_magic(path))
		child_say(fd, V_DAMAGED, "no valid meta page (cut short or overwritten)");
	if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
		child_say(fd, V_UNUSABLE, "not an LMDB file of this version (no valid meta page)");
	if (rc != 0)
		child_say(fd, V_UNUSABLE, mdb_strerror(rc));
	if (size_check(env, why, sizeof(why)) < 0 || tree_check(env, why, sizeof(why)) < 0)
		child_say(fd, V_DAMAGED, why);
	mdb_env_close(env);
	child_say(fd, V_OK, "");
}

/* Turn the child's exit and words into a health value. */
static enum am_store_lmdb_health verdict(int status, const char *said, size_t n, char *why,
					 size_t whylen)
{
	if (WIFSIGNALED(status)) {
		snprintf(why, whylen, "reading it crashed the check (%s)",
			 strsignal(WTERMSIG(status)));
		return AM_LMDB_DAMAGED;
	}
	if (n == 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* the child always speaks before it exits, unless reading killed it */
		snprintf(why, whylen, "reading it stopped the check (exit status %d)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return AM_LMDB_DAMAGED;
	}
	snprintf(why, whylen, "%.*s", (int)(n - 1), said + 1);
	if (said[0] == V_OK)
		return AM_LMDB_OK;
	return said[0] == V_DAMAGED ? AM_LMDB_DAMAGED : AM_LMDB_UNUSABLE;
}

/* Check the file at path; see am_store.h. */
enum am_store_lmdb_health am_store_lmdb_check(const char *path, long map_mb, char *why,
					      size_t whylen)
{
	struct stat fs;
	char said[400];
	size_t n = 0;
	ssize_t r;
	int p[2], status = 0;
	pid_t pid;
	if (stat(path, &fs) != 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return errno == ENOENT ? AM_LMDB_ABSENT : AM_LMDB_UNUSABLE;
	}
	if (fs.st_size == 0) /* LMDB writes a new environment into an empty file */
		return snprintf(why, whylen, "empty"), AM_LMDB_OK;
	if (pipe(p) != 0)
		return snprintf(why, whylen, "pipe: %s", strerror(errno)), AM_LMDB_UNUSABLE;
	if ((pid = fork()) < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(p[0]), close(p[1]);
		return AM_LMDB_UNUSABLE;
	}
	if (pid == 0) {
		close(p[0]);
		child_check(path, (size_t)map_mb << 20, p[1]);
	}
	close(p[1]);
	while (n < sizeof(said) && ((r = read(p[0], said + n, sizeof(said) - n)) > 0 ||
				    (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return verdict(status, said, n, why, whylen);
}
