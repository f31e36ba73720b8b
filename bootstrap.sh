#!/bin/sh
# bootstrap.sh - set up a new Debian 12 machine for authmilter: install the
# build and test dependencies from Debian's archive, create the service
# user, then configure and build. Run as root (it calls apt-get).
#   ./bootstrap.sh            install, configure, build
#   ./bootstrap.sh --deps     install the packages only
set -eu
cd "$(dirname "$0")"

PACKAGES="build-essential autoconf automake libtool pkg-config
 libmilter-dev libopendkim-dev libspf2-dev libopendmarc-dev libmemcached-dev
 libunbound-dev liblmdb-dev libinih-dev libpsl-dev libidn2-dev publicsuffix
 unbound memcached postfix swaks miltertest opendkim-tools libmail-dkim-perl
 libnet-dns-perl python3 python3-yaml python3-dkim python3-nacl bind9-dnsutils openssl
 clang libclang-rt-14-dev valgrind
 libmicrohttpd-dev mandoc debhelper dpkg-dev
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
[ "${1:-}" = "--deps" ] && exit 0

getent group authmilter >/dev/null || groupadd --system authmilter
getent passwd authmilter >/dev/null ||
	useradd --system --gid authmilter --home-dir /nonexistent --shell /usr/sbin/nologin authmilter

autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)"
