#!/bin/sh
# SPDX-License-Identifier: ISC
# demo.t: the README's main job (make demo) works, and leaves nothing.
. "$(dirname "$0")/lib.sh"
need_root
for t in img-pack img-unpack dockerfile-parse cg-limit net-bridge vol-mount ns-run lb-proxy svc-dns; do
	command -v $t >/dev/null || skip_all "$t not built"
done
out=$TMP/demo.out
"$TOP/contrib/demo.sh" >"$out" 2>&1
rc=$?
ok "contrib/demo.sh exits 0" test $rc = 0
ok "it built the image" grep -q "^Successfully tagged web:latest" "$out"
ok "three replicas were ready" grep -Eq "^web-deployment +3/3 " "$out"
testcmd "six fetches by service name reached all three replicas" 0 "3" \
    sh -c 'grep "^hello from web-deployment-" "$1" | sort -u | wc -l' sh "$out"
ok "it cleaned up after itself" grep -q 'deployment.apps "web-deployment" deleted' "$out"
[ $rc = 0 ] || sed 's/^/# /' "$out" >&2
done_testing
