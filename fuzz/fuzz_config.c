/*
 * fuzz/fuzz_config.c - fuzz target: the ini parser and the option table
 * (lib/am_config.c through am_config_load on a memory file, the module
 * checks of am_runtime_check_config). Checks: a refused file always says
 * why with FILE:LINE; an accepted one dumps (am_config_dump: every
 * option as a file would say it) to a file that loads again and dumps to
 * the same text, so what the loader took is what the file meant.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "am_config.h"
#include "am_runtime.h"
#include "fuzz.h"

static int memfd = -1, dumpfd = -1;
static char path[64], dump_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	memfd = memfd_create("fuzz-config", 0);
	dumpfd = memfd_create("fuzz-config-dump", 0);
	if (memfd < 0 || dumpfd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	snprintf(dump_path, sizeof(dump_path), "/proc/self/fd/%d", dumpfd);
	return 0;
}

/* Make fd hold exactly data[0..n). */
static void put_file(int fd, const void *data, size_t n)
{
	if (ftruncate(fd, 0) != 0 || (n && pwrite(fd, data, n, 0) != (ssize_t)n))
		abort();
}

/* The dump of cfg as a heap string. */
static char *dump(const struct am_config *cfg, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (f == NULL)
		abort();
	am_config_dump(cfg, f);
	if (fclose(f) != 0)
		abort();
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512] = "", err2[512] = "";
	struct am_config *cfg, *again;
	char *text, *text2;
	size_t len, len2;

	put_file(memfd, data, size);
	cfg = am_config_load(path, err, sizeof(err));
	if (cfg == NULL) {
		FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':');
		return 0;
	}
	(void)am_runtime_check_config(cfg, err, sizeof(err));
	text = dump(cfg, &len);
	put_file(dumpfd, text, len);
	again = am_config_load(dump_path, err2, sizeof(err2));
	if (again == NULL) {
		fprintf(stderr, "dump does not load again: %s\n%s", err2, text);
		FUZZ_CHECK(again != NULL);
	}
	text2 = dump(again, &len2);
	if (len != len2 || memcmp(text, text2, len) != 0)
		fprintf(stderr, "dump changed on reload:\n%s\n---\n%s", text, text2);
	FUZZ_CHECK(len == len2 && memcmp(text, text2, len) == 0);
	free(text);
	free(text2);
	am_config_free(again);
	am_config_free(cfg);
	return 0;
}
