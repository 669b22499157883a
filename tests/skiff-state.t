#!/bin/sh
# SPDX-License-Identifier: ISC
# skiff-state.t: a container's directories and name, made and removed.
. "$(dirname "$0")/lib.sh"
need_root
export SKIFF_ROOT=$TMP/root SKIFF_RUN=$TMP/run

out=$(skiff-state new --base docker.io/library/nginx:1.25)
id=${out%% *} rest=${out#* }
name=${rest%% *} when=${rest#* }
ok "new: a 64-hex id" expr "$id" : '[0-9a-f]\{64\}$'
ok "new: the default name from the image" test "$name" = "nginx_1.25_$(printf %.6s "$id")"
ok "new: the time in UTC" expr "$when" : '20[0-9-]*T[0-9:]*Z$'
ok "new: store and runtime directories" test -d "$SKIFF_ROOT/containers/$id/upper" \
    -a -d "$SKIFF_ROOT/containers/$id/work" -a -d "$SKIFF_RUN/containers/$id/rootfs"
ok "new: the name points at the id" test "$(readlink "$SKIFF_ROOT/names/$name")" = "$id"

id2=$(skiff-state new --name web | cut -d' ' -f1)
testerr "a name in use: refused" 1 "^skiff-state: --name web: already in use by container $(printf %.12s "$id2")$" \
    skiff-state new --name web
ok "a name in use: nothing else made" test "$(ls "$SKIFF_ROOT/containers" | wc -l)" = 2 \
    -a "$(ls "$SKIFF_RUN/containers" | wc -l)" = 2
testerr "a bad name" 1 "^skiff-state: --name a/b: must match" skiff-state new --name a/b
testerr "a relative SKIFF_ROOT" 1 "^skiff-state: SKIFF_ROOT rel: must be an absolute path$" \
    env SKIFF_ROOT=rel skiff-state new
testerr "rm: not an id" 1 "^skiff-state: \.\./x: not a container id" skiff-state rm ../x
testerr "no verb" 2 "^usage: skiff-state" skiff-state
testcmd "--help" 0 "$(skiff-state --help)" skiff-state --help

# What is mounted beneath a container's directory is left alone.
mkdir -p "$TMP/keep"
echo precious >"$TMP/keep/file"
mount --bind "$TMP/keep" "$SKIFF_RUN/containers/$id/rootfs"
at_exit "umount '$SKIFF_RUN/containers/$id/rootfs' 2>/dev/null"
testerr "rm: refuses to cross a mount" 1 "^skiff-state: $SKIFF_RUN/containers/$id: .*[Rr]esource busy$" \
    skiff-state rm "$id"
ok "rm: the mounted tree is intact" grep -qx precious "$TMP/keep/file"
umount "$SKIFF_RUN/containers/$id/rootfs"
testcmd "rm: both directories and the names" 0 "" skiff-state rm "$id" "$id2"
ok "rm: nothing left" test -z "$(find "$SKIFF_ROOT/containers" "$SKIFF_RUN/containers" "$SKIFF_ROOT/names" -mindepth 1)"
testcmd "rm: a missing id is not an error" 0 "" skiff-state rm "$id"
done_testing
