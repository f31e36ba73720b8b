#!/bin/bash
# t/fault-lmdb.sh - a damaged LMDB greylist file, through the real daemon.
# The daemon writes 3,000 triplets; copies of its file are then cut to half
# their size (LMDB would die of SIGBUS reading past the end), filled with
# 0xff from page 2 on (meta pages intact: every look-up would fail with
# MDB_PAGE_NOTFOUND) or with random bytes (LMDB itself would crash). For
# each: `authmilter -n` reports it without creating a file, the start
# refuses it (lmdb_on_damage = refuse) naming the file, or moves it aside
# and runs on an empty store (move-aside) deciding every message. Last, a
# store that fails while running (a 1 MB map filled up) is loud: one log
# line at once, then at most one per 10 s, and a metrics counter.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init fault-lmdb

BIN="$top_builddir/milter/authmilter"
[ -x "$top_builddir/t/milter-drive" ] || skip_all "t/milter-drive is not built"
/usr/bin/python3 -c 'import random' 2>/dev/null || skip_all "/usr/bin/python3 is needed to damage pages"

mkdir "$T/lmdb"
[ "$(id -u)" = 0 ] && chown nobody "$T/lmdb"
DB="$T/lmdb/grey.lmdb"
PORT=$(free_port)
conf=(greylist.enable=yes greylist.store=lmdb "greylist.lmdb_path=$DB" greylist.clients=all
	greylist.auto_whitelist=0 spf.enable=no dkim.enable=no dmarc.enable=no
	"metrics.listen=127.0.0.1:$PORT")
daemon_config "$T/refuse.ini" "${conf[@]}" greylist.lmdb_on_damage=refuse
daemon_config "$T/aside.ini" "${conf[@]}" greylist.lmdb_on_damage=move-aside

# script FIRST COUNT: one connection, COUNT distinct triplets from FIRST on
# (100 recipients per message).
script() {
	local i
	echo "connect mx.sender.example 192.0.2.10"
	echo "helo mx.sender.example"
	for ((i = $1; i < $1 + $2; i++)); do
		((i % 100 == $1 % 100)) && echo "mail <s$((i / 100))@sender.example>"
		echo "rcpt <r$i@rcpt.example>"
		((i % 100 == ($1 + 99) % 100 || i == $1 + $2 - 1)) && echo "abort"
	done
	echo quit
}
# triplets FIRST COUNT: drive them; NEW = the daemon log lines it caused.
triplets() {
	local before
	before=$(wc -l <"$T/daemon.log")
	script "$1" "$2" | milter_drive -t 60 -S - >"$T/drive.out" 2>&1
	NEW=$(tail -n +"$((before + 1))" "$T/daemon.log")
}
# check CONFIG: `authmilter -n`; CHK = its output, CST = its status.
check() {
	CHK=$("$BIN" -n -c "$1" 2>&1)
	CST=$?
}
# start_refused: the daemon (refuse) must exit 1 at once; OUT = its output.
start_refused() {
	OUT=$(timeout 60 "$BIN" -f -c "$T/refuse.ini" -p "unix:$T/refused.sock" 2>&1)
	RST=$?
}
# listing: the store directory, names and sizes.
listing() { (cd "$T/lmdb" && ls -l --time-style=+ | awk 'NR > 1 { print $5, $NF }'); }

# --- a file with 3,000 triplets ---
daemon_start "$T/refuse.ini" || bail_out "daemon did not start"
triplets 0 3000
is "$(grep -c 'greylist=new' <<<"$NEW")" 3000 "3,000 distinct triplets greylisted"
daemon_stop
is "$?" 0 "daemon stopped cleanly"
cp "$DB" "$T/good.lmdb"
SIZE=$(stat -c %s "$DB")
ok "$([ "$SIZE" -gt 200000 ]; echo $?)" "the file holds them ($SIZE bytes)"
check "$T/refuse.ini"
is "$CST" 0 "-n: the intact file is fine"

# damage KIND: put a damaged copy of the good file in place, no lock file.
damage() {
	rm -f "$DB"* && cp "$T/good.lmdb" "$DB" && [ "$(id -u)" != 0 ] || chown nobody "$DB"
	case $1 in
	truncated) truncate -s $((SIZE / 2)) "$DB" ;;
	pages) /usr/bin/python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(8192); f.write(b"\xff" * (int(sys.argv[2]) - 8192))' "$DB" "$SIZE" ;;
	random) /usr/bin/python3 -c 'import random, sys; random.seed(12); f = open(sys.argv[1], "r+b"); f.seek(8192); f.write(bytes(random.getrandbits(8) for _ in range(int(sys.argv[2]) - 8192)))' "$DB" "$SIZE" ;;
	esac
}

# case KIND ERE: the whole story for one kind of damage; ERE: the reason.
case_of() {
	local kind=$1 why=$2 before aside dsize lines
	damage "$kind"
	dsize=$(stat -c %s "$DB")
	before=$(listing)
	check "$T/refuse.ini"
	is "$CST" 1 "$kind: -n fails (lmdb_on_damage = refuse)"
	like "$CHK" "lmdb_path $DB: damaged, $why: the start would refuse it" "$kind: -n names the file and why"
	is "$(listing)" "$before" "$kind: -n created or changed no file (no lock file)"
	check "$T/aside.ini"
	is "$CST" 0 "$kind: -n passes with move-aside ..."
	like "$CHK" "warning: .*$DB: damaged, $why: the start will move it aside" "... and warns"
	start_refused
	is "$RST" 1 "$kind: the start refuses it (exit 1)"
	like "$OUT" "not started: lmdb $DB: damaged, $why: refused \(move it aside, or set lmdb_on_damage = move-aside\)" \
		"$kind: ... saying which file and why"
	lines=$(cat "$T/daemon.log" 2>/dev/null | wc -l)
	daemon_start "$T/aside.ini" || bail_out "$kind: daemon did not start with move-aside"
	like "$(tail -n +$((lines + 1)) "$T/daemon.log")" "greylist store lmdb $DB: damaged, $why: moved aside to $DB\.damaged\.[0-9]+, starting empty" \
		"$kind: move-aside: logged"
	aside=$(ls "$DB".damaged.* 2>/dev/null | head -1)
	ok "$([ -n "$aside" ] && [ "$(stat -c %s "$aside")" = "$dsize" ]; echo $?)" "$kind: the damaged file is kept as ${aside##*/}"
	triplets 5000 200
	is "$(grep -c 'greylist=new' <<<"$NEW")" 200 "$kind: 200 new triplets decided on the empty store"
	unlike "$NEW" 'greylist=error' "$kind: no store error"
	ok "$(daemon_alive; echo $?)" "$kind: the daemon is alive"
	daemon_stop
	is "$?" 0 "$kind: daemon stopped cleanly"
	unlike "$(tail -n +$((lines + 1)) "$T/daemon.log")" 'AddressSanitizer|runtime error|Bus error' "$kind: no crash, no sanitizer report"
	check "$T/refuse.ini"
	is "$CST" 0 "$kind: -n: the new file is fine"
	rm -f "$DB".damaged.*
}
case_of truncated "truncated: $((SIZE / 2)) bytes, but its last page \([0-9]+, 4096 bytes each\) needs $SIZE \\(map [0-9]+\\)"
case_of pages "unreadable page after 0 records: MDB_PAGE_NOTFOUND: Requested page not found"
case_of random "(reading it crashed the check \(Segmentation fault\)|unreadable page .*|reading it stopped the check.*)"

# --- a store that fails while running is loud ---
rm -f "$DB"*
daemon_config "$T/small.ini" "${conf[@]}" greylist.lmdb_map_size=1
daemon_start "$T/small.ini" || bail_out "daemon did not start (1 MB map)"
t0=$(date +%s)
triplets 10000 8000
secs=$(($(date +%s) - t0))
# on_store_error = accept: a recipient let through at RCPT is a store error
errors=$(grep -c '^rcpt .*: continue$' "$T/drive.out")
ok "$([ "$errors" -gt 1000 ]; echo $?)" "a full 1 MB map: $errors recipients accepted on a store error"
reports=$(grep -c 'greylist store lmdb:.*failed operation' "$T/daemon.log")
ok "$([ "$reports" -ge 1 ] && [ "$reports" -le $((secs / 10 + 2)) ]; echo $?)" \
	"logged at once, then at most every 10 s: $reports line(s) for $errors errors in $secs s"
like "$(grep 'greylist store lmdb:' "$T/daemon.log" | head -1)" "greylist store lmdb:$DB: 1 failed operation since the last report \(1 in all\); latest: lmdb write: map full" \
	"the first failure is logged with its reason"
exec 3<>"/dev/tcp/127.0.0.1/$PORT" || bail_out "no metrics endpoint"
printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3
SCRAPE=$(tr -d '\r' <&3)
exec 3<&-
counted=$(awk '$1 == "authmilter_greylist_store_errors_total" { print $2 }' <<<"$SCRAPE")
ok "$([ "${counted:-0}" -ge "$errors" ]; echo $?)" "metrics: authmilter_greylist_store_errors_total $counted >= $errors"
daemon_stop
is "$?" 0 "daemon stopped cleanly"

done_testing
