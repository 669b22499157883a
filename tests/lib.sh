# SPDX-License-Identifier: ISC
# tests/lib.sh: TAP helpers for skiff's tests. Source it from a tests/*.t.
#
#   plan N                      print the TAP plan
#   ok COND NAME                one result from a shell condition's status
#   testcmd NAME EXIT OUT CMD.. run CMD, check its exit status and its stdout
#   testerr NAME EXIT PAT CMD.. run CMD, check status and that stderr matches PAT
#   skip_all WHY                skip the whole file
#   mkrootfs DIR                a busybox-static rootfs with /etc/passwd
#   tmpdir                      a fresh directory removed at exit
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
PATH=$TOP/bin:$PATH
export PATH
_n=0
_fail=0
_cleanup=""

at_exit() { _cleanup="$*; $_cleanup"; }
trap 'eval "$_cleanup"' EXIT
trap 'exit 130' INT TERM

plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

pass() { _n=$((_n + 1)); echo "ok $_n - $1"; }
fail() {
	_n=$((_n + 1)); _fail=$((_fail + 1))
	echo "not ok $_n - $1"
	shift
	# Also on stderr, where prove shows it (CI's log keeps no TAP comments).
	[ $# -gt 0 ] && printf '#   %s\n' "$@" && printf '#   %s\n' "$@" >&2
	return 0
}
skip() { _n=$((_n + 1)); echo "ok $_n # SKIP $*"; }

# ok NAME CMD...: passes when CMD exits 0.
ok() {
	_name=$1; shift
	if "$@"; then pass "$_name"; else fail "$_name" "command: $*"; fi
}

_out() { mkdir -p "$TMP"; echo "$TMP/.out"; }

# testcmd NAME EXPECTED_EXIT EXPECTED_STDOUT CMD...
testcmd() {
	_name=$1 _want=$2 _wout=$3; shift 3
	_o=$(_out)
	"$@" >"$_o" 2>"$_o.err" </dev/null
	_rc=$?
	_got=$(cat "$_o")
	if [ "$_rc" != "$_want" ]; then
		fail "$_name" "exit $_rc, wanted $_want" "stdout: $_got" "stderr: $(head -c 400 "$_o.err")"
	elif [ "$_got" != "$_wout" ]; then
		fail "$_name" "stdout: '$_got'" "wanted: '$_wout'" "stderr: $(head -c 400 "$_o.err")"
	else
		pass "$_name"
	fi
}

# testerr NAME EXPECTED_EXIT STDERR_PATTERN CMD...: stderr must be exactly
# one line and match the grep -E pattern.
testerr() {
	_name=$1 _want=$2 _pat=$3; shift 3
	_o=$(_out)
	"$@" >"$_o" 2>"$_o.err" </dev/null
	_rc=$?
	_lines=$(wc -l <"$_o.err")
	if [ "$_rc" != "$_want" ]; then
		fail "$_name" "exit $_rc, wanted $_want" "stderr: $(head -c 400 "$_o.err")"
	elif [ "$_lines" -ne 1 ] || ! grep -Eq -- "$_pat" "$_o.err"; then
		fail "$_name" "stderr: '$(head -c 400 "$_o.err")'" "wanted one line matching: $_pat"
	else
		pass "$_name"
	fi
}

done_testing() {
	echo "1..$_n"
	[ "$_fail" -eq 0 ]
}

need_root() { [ "$(id -u)" = 0 ] || skip_all "needs root"; }

# A temporary directory per test file, removed (with anything mounted in
# it unmounted) at exit.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/skiff-test.XXXXXX")
export TMP
at_exit "rm -rf '$TMP' 2>/dev/null || { umount -R '$TMP' 2>/dev/null; rm -rf '$TMP'; }"

# mkrootfs DIR: busybox-static with every applet as a symlink, a passwd and
# group with root and nobody. Built once per test run and copied.
mkrootfs() {
	_cache=$TOP/tests/out/rootfs
	if [ ! -x "$_cache/bin/busybox" ]; then
		_b=$(command -v busybox) || { echo "mkrootfs: busybox-static is not installed" >&2; return 1; }
		rm -rf "$_cache.tmp"
		mkdir -p "$_cache.tmp/bin" "$_cache.tmp/etc" "$_cache.tmp/tmp" \
		    "$_cache.tmp/root" "$_cache.tmp/proc" "$_cache.tmp/sys" "$_cache.tmp/dev"
		cp "$_b" "$_cache.tmp/bin/busybox"
		for a in $("$_b" --list); do
			[ "$a" = busybox ] || ln -s busybox "$_cache.tmp/bin/$a"
		done
		chmod 1777 "$_cache.tmp/tmp"
		printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
		    >"$_cache.tmp/etc/passwd"
		printf 'root:x:0:\nnogroup:x:65534:\n' >"$_cache.tmp/etc/group"
		mkdir -p "$(dirname "$_cache")"
		rm -rf "$_cache" && mv "$_cache.tmp" "$_cache"
	fi
	mkdir -p "$1" && cp -a "$_cache/." "$1/"
}
