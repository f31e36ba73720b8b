# contrib/configure_copy.sh - sourced by .ci/run (its ASan+UBSan build) and
# contrib/check-tsan.sh (its ThreadSanitizer build): a second build of the
# checkout with other compiler flags, in a copy of the tracked sources,
# since the checkout is configured in place and automake allows no second,
# out-of-tree build beside that.

# configure_copy DIR CFLAGS LDFLAGS: DIR emptied, the files git tracks
# copied into it, autoreconf'd and configured with CFLAGS and LDFLAGS. Run
# from the checkout's top; building is the caller's.
configure_copy() {
	local dir=$1
	rm -rf "$dir"
	mkdir -p "$dir"
	git ls-files -z | xargs -0 cp --parents -t "$dir" || return 1
	(cd "$dir" && autoreconf -fi >/dev/null 2>&1 && ./configure -q CFLAGS="$2" LDFLAGS="$3")
}
