#!/bin/sh
# fuzz/build.sh - builds the libFuzzer targets for `make fuzz` (run by the
# rule in am/reliability.am, from the top build directory). The normal
# build uses $(CC) (gcc); this one compiles lib/ again with clang and
# -fsanitize=fuzzer-no-link,address,undefined into fuzz/obj/, and links
# each fuzz/fuzz_NAME.c into fuzz/fuzz-NAME. Objects are rebuilt when
# their source, a header of lib/ or the flags changed.
#
#   build.sh SRCDIR TARGET... -- LIB-SOURCE...
# Env (from the make rule): FUZZ_CC, FUZZ_CFLAGS, FUZZ_CPPFLAGS, FUZZ_LIBS,
# (the libraries to link; lib/libauthmilter.a in it is skipped), FUZZ_JOBS
# (parallel compiles, default 2).
set -eu
srcdir=$1
shift
targets=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	targets="$targets $1"
	shift
done
[ $# -gt 0 ] && shift
cc=${FUZZ_CC:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "fuzz/build.sh: $cc not found: apt-get install -y clang libclang-rt-14-dev" >&2
	exit 1
fi
flags="$FUZZ_CFLAGS $FUZZ_CPPFLAGS -I$srcdir/fuzz"
# The libraries lib/ links, without lib/ itself (its objects are ours).
libs=""
for l in $FUZZ_LIBS; do
	case "$l" in *libauthmilter.a) ;; *) libs="$libs $l" ;; esac
done
mkdir -p fuzz/obj
stamp=fuzz/obj/flags
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$cc $flags" ]; then
	rm -f fuzz/obj/*.o
	printf '%s\n' "$cc $flags" >"$stamp"
fi

# The newest header of lib/ and fuzz/: objects older than it are rebuilt.
newest_header=$(ls -t "$srcdir"/lib/*.h "$srcdir"/fuzz/*.h | head -1)

# Compile the library sources that need it (FUZZ_JOBS at a time).
objs=""
todo=""
for src in "$@"; do
	case "$src" in *.c) ;; *) continue ;; esac
	obj=fuzz/obj/$(basename "$src" .c).o
	objs="$objs $obj"
	if [ ! -f "$obj" ] || [ "$srcdir/$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then
		todo="$todo $srcdir/$src"
	fi
done
if [ -n "$todo" ]; then
	# shellcheck disable=SC2086 # word lists on purpose
	printf '%s\n' $todo | xargs -P "${FUZZ_JOBS:-2}" -I{} sh -c \
		'echo "  FUZZCC   $(basename {})"; '"$cc"' '"$flags"' -fsanitize=fuzzer-no-link -c {} -o fuzz/obj/$(basename {} .c).o'
fi

# Link each target with the library objects.
for t in $targets; do
	src=$srcdir/fuzz/fuzz_$t.c
	bin=fuzz/fuzz-$t
	if [ ! -f "$bin" ] || [ "$src" -nt "$bin" ] || [ "$newest_header" -nt "$bin" ] ||
		[ -n "$todo" ]; then
		echo "  FUZZLD   $bin"
		# eval: the flags are make's shell words (-DX=\"...\")
		eval "$cc $flags -fsanitize=fuzzer \"\$src\" $objs $libs -o \"\$bin\""
	fi
done
