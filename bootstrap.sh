#!/bin/sh
# bootstrap.sh - set up a new Debian 12 machine for authmilter: install the
# build and test dependencies from Debian's archive, unpack Sendmail for its
# test, create the service user (Postfix in its group, the greylist store's
# directory), then configure and build. Run as root (it calls apt-get).
# Everything the tests need comes from here: no test downloads anything.
#   ./bootstrap.sh            install, configure, build
#   ./bootstrap.sh --deps     install and unpack the packages only
set -eu
cd "$(dirname "$0")"

PACKAGES="build-essential autoconf automake libtool pkg-config
 libmilter-dev libopendkim-dev libspf2-dev libopendmarc-dev libmemcached-dev
 libunbound-dev liblmdb-dev libinih-dev libpsl-dev libidn2-dev publicsuffix
 unbound memcached postfix swaks miltertest opendkim-tools libmail-dkim-perl
 libnet-dns-perl python3 python3-yaml python3-dkim python3-authres python3-nacl bind9-dnsutils openssl
 clang libclang-rt-14-dev valgrind
 libmicrohttpd-dev libssl-dev mandoc debhelper dpkg-dev
 libxml2-utils"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	# Postfix asks how to configure itself; the tests run private instances.
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
# The system unbound and memcached are not needed: tests start their own.

# Sendmail for t/sendmail-e2e.sh, unpacked, not installed (it conflicts
# with Postfix); the test looks here (AM_SENDMAIL_ROOT overrides).
SENDMAIL_ROOT=/opt/authmilter-test/sendmail
if [ ! -f "$SENDMAIL_ROOT/.complete" ]; then
	debs=$(mktemp -d)
	# Downloading into root's private directory: no _apt sandbox user.
	get() { (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root sendmail-bin sendmail-cf m4 libwrap0); }
	get || { apt-get update -q && get; }
	rm -rf "$SENDMAIL_ROOT"
	mkdir -p "$SENDMAIL_ROOT"
	for deb in "$debs"/*.deb; do dpkg -x "$deb" "$SENDMAIL_ROOT"; done
	# setgid would make the loader ignore LD_LIBRARY_PATH (libwrap0 is unpacked).
	chmod 0755 "$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail"
	touch "$SENDMAIL_ROOT/.complete"
	rm -rf "$debs"
fi
[ "${1:-}" = "--deps" ] && exit 0

getent group authmilter >/dev/null || groupadd --system authmilter
getent passwd authmilter >/dev/null ||
	useradd --system --gid authmilter --home-dir /nonexistent --shell /usr/sbin/nologin authmilter
# Postfix's smtpd reaches the socket (0660, group authmilter) as a member of
# the daemon's group, as the README's recipe (and the Debian package) does.
if getent passwd postfix >/dev/null && ! id -nG postfix | grep -qw authmilter; then
	usermod -a -G authmilter postfix
fi
# The greylist store's directory ([greylist] lmdb_path), the daemon's own.
install -d -o authmilter -g authmilter -m 0750 /var/lib/authmilter

autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)"
