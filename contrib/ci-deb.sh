#!/bin/bash
# contrib/ci-deb.sh - CI step: build the Debian package from a copy of the
# tree (dpkg-buildpackage -us -uc -b, tests off: make check runs them),
# install it with dpkg -i (apt-get install -f for missing dependencies),
# check what it installed (user, unit, conffile, manual pages, socket
# directory settings) and run `authmilter -n` and `authmilter -V` from the
# installed binary. Purges the package again at the end (the system user
# stays), unless --keep. Needs root, dpkg-dev and debhelper.
#
#   contrib/ci-deb.sh [--keep]      work directory: $AM_DEB_WORKDIR or ./build-deb
#   contrib/ci-deb.sh -h | --help
# Exit 0 when every step passed; prints "ci-deb: ok" or the failing step.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
work=${AM_DEB_WORKDIR:-$top/build-deb}
keep=no
case ${1:-} in
'') ;;
--keep) keep=yes ;;
-h | --help) echo "usage: contrib/ci-deb.sh [--keep]   (root; builds, installs, checks and purges the package)"; exit 0 ;;
*) echo "usage: contrib/ci-deb.sh [--keep]" >&2; exit 64 ;;
esac

fail() { echo "ci-deb: FAILED: $*"; exit 1; }
step() { echo "ci-deb: $*"; }

[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i)"
for tool in dpkg-buildpackage dh; do
	command -v "$tool" >/dev/null || fail "$tool missing: apt-get install -y dpkg-dev debhelper"
done

# A copy of the sources: tracked files plus new ones not ignored (the
# working tree may be configured in place, and the package build must not
# see or touch that).
step "copying the tree to $work/src"
rm -rf "$work"
mkdir -p "$work/src" || fail "cannot create $work"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		(cd "$top" && xargs -0 cp --parents -t "$work/src" 2>/dev/null)
else
	tar -C "$top" --exclude=./build-deb --exclude=./build-asan -cf - . | tar -C "$work/src" -xf -
fi
[ -f "$work/src/debian/control" ] || fail "no debian/ in the copy"

step "dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=nocheck)"
start=$(date +%s)
(cd "$work/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
	>"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "package build (log: $work/build.log)"; }
step "built in $(($(date +%s) - start)) s"
deb=$(ls "$work"/authmilter_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no .deb produced"
step "package: ${deb##*/}"

# What the package holds, before installing it.
contents=$(dpkg-deb -c "$deb")
for path in ./usr/sbin/authmilter ./etc/authmilter/authmilter.ini ./lib/systemd/system/authmilter.service \
	./usr/share/man/man8/authmilter.8.gz ./usr/share/man/man5/authmilter.ini.5.gz; do
	grep -q " $path\$" <<<"$contents" || fail "the package lacks $path"
done
dpkg-deb -I "$deb" conffiles 2>/dev/null | grep -qx /etc/authmilter/authmilter.ini ||
	fail "/etc/authmilter/authmilter.ini is not a conffile"

step "dpkg -i"
if ! dpkg -i "$deb" >"$work/install.log" 2>&1; then
	step "dpkg -i left dependencies to fetch: apt-get install -f"
	DEBIAN_FRONTEND=noninteractive apt-get install -f -y -q >>"$work/install.log" 2>&1 ||
		{ tail -20 "$work/install.log"; fail "apt-get install -f"; }
fi
[ "$(dpkg-query -W -f='${Status}' authmilter 2>/dev/null)" = "install ok installed" ] ||
	{ tail -20 "$work/install.log"; fail "authmilter is not installed"; }

getent passwd authmilter >/dev/null || fail "no system user authmilter"
getent group authmilter >/dev/null || fail "no group authmilter"
if getent passwd postfix >/dev/null; then
	id -nG postfix | tr ' ' '\n' | grep -qx authmilter || fail "postfix is not in group authmilter"
fi
unit=/lib/systemd/system/authmilter.service
grep -qx 'RuntimeDirectory=authmilter' "$unit" && grep -qx 'RuntimeDirectoryMode=0750' "$unit" &&
	grep -qx 'Group=authmilter' "$unit" || fail "the unit does not make the socket directory"
grep -q '^ExecReload=/bin/kill -USR1 \$MAINPID' "$unit" || fail "the unit does not reload with SIGUSR1"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify "$unit" >"$work/verify.log" 2>&1 || { cat "$work/verify.log"; fail "systemd-analyze verify"; }
fi

step "authmilter -n from the installed binary"
out=$(/usr/sbin/authmilter -n 2>&1) || { echo "$out"; fail "authmilter -n"; }
echo "  $out"
grep -q '/etc/authmilter/authmilter.ini: configuration ok' <<<"$out" ||
	fail "authmilter -n did not read /etc/authmilter/authmilter.ini"
/usr/sbin/authmilter -V || fail "authmilter -V"
man -w authmilter.ini >/dev/null 2>&1 || [ -f /usr/share/man/man5/authmilter.ini.5.gz ] ||
	fail "authmilter.ini(5) not installed"

if [ "$keep" = no ]; then
	step "dpkg --purge authmilter"
	dpkg --purge authmilter >>"$work/install.log" 2>&1 || fail "dpkg --purge"
fi
echo "ci-deb: ok"
