#!/bin/sh
# SPDX-License-Identifier: ISC
# readme.t: the README's tutorial, block by block, as written, in a network
# namespace and a state directory of its own.
if [ -z "${SKIFF_T_NETNS:-}" ] && [ "$(id -u)" = 0 ]; then
	SKIFF_T_NETNS=1 exec unshare -n "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
need_root
for t in img-pack img-unpack dockerfile-parse cg-limit net-bridge vol-mount ns-run lb-proxy svc-dns; do
	command -v $t >/dev/null || skip_all "$t not built"
done
ip link set lo up
export SKIFF_ROOT=$TMP/root SKIFF_RUN=$TMP/run
at_exit 'cd "$TOP" && skiff delete -f contrib/examples/web/deploy.yaml >/dev/null 2>&1; skiff rm -f $(skiff ps -aq) >/dev/null 2>&1; skiff gc >/dev/null 2>&1; rm -rf /tmp/web'

# The indented blocks of the tutorial section, one script a block.
awk -v dir="$TMP" '
	/^Tutorial: / { on = 1; next }
	/^The commands$/ { on = 0 }
	on && /^    / { if (!inblk) { n++; inblk = 1 } sub(/^    /, ""); print > (dir "/block." n); next }
	{ inblk = 0 }
' "$TOP/README"
n=$(ls "$TMP"/block.* 2>/dev/null | wc -l)
[ "$n" -ge 5 ] || skip_all "no tutorial blocks found in README"
cd "$TOP" || exit 1
i=1
while [ $i -le "$n" ]; do
	# Lines that change the machine itself are left to the reader.
	grep -v 'not run by the tests' "$TMP/block.$i" >"$TMP/run.$i"
	first=$(head -1 "$TMP/run.$i")
	sh -e "$TMP/run.$i" >"$TMP/out.$i" 2>&1 </dev/null
	rc=$?
	ok "README block $i ($first) exits 0" test $rc = 0
	[ $rc = 0 ] || sed 's/^/# /' "$TMP/out.$i" >&2
	i=$((i + 1))
done
ok "the page was served from the host" grep -q "^hello from web-deployment-" "$TMP/out.5"
ok "... and by name from a container" sh -c '[ "$(grep -c "^hello from web-deployment-" "$1")" -ge 2 ]' sh "$TMP/out.5"
ok "skiff check reported nothing missing" test ! -s "$TMP/out.2" -o -z "$(grep missing "$TMP/out.2")"
done_testing
