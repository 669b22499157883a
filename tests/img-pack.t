#!/bin/sh
# SPDX-License-Identifier: ISC
# img-pack.t: layers and images that skopeo and umoci accept, the same
# digests for the same inputs, overlay whiteouts, and every error case.
. "$(dirname "$0")/lib.sh"
need_root
command -v skopeo >/dev/null || skip_all "skopeo is not installed"
command -v umoci >/dev/null || skip_all "umoci is not installed"

SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
cd "$TMP" || exit 1

# A listing of a tree that shows what an image must keep: type, mode,
# owner, link target, and the content's checksum.
listing() {
	(cd "$1" && find . -mindepth 1 ! -path './.wh.*' -printf '%p %y %m %U:%G %l\n' | sort)
	(cd "$1" && find . -type f -exec md5sum {} + | sort -k2)
}

# --- usage ---------------------------------------------------------------
testcmd "--version" 0 "img-pack 0.1.0" img-pack --version
ok "--help lists the commands" sh -c 'img-pack --help | grep -q "img-pack commit"'
ok "layer --help lists --overlay-upper" sh -c 'img-pack layer --help | grep -q -- --overlay-upper'
ok "no command is a usage error" sh -c 'img-pack 2>err; test $? = 2 && grep -q "^usage: img-pack" err'
ok "unknown command is a usage error" \
    sh -c 'img-pack frob 2>err; test $? = 2 && head -1 err | grep -q "^img-pack: unknown command frob\$"'
testerr "layer needs LAYOUT and DIR" 2 "^usage: img-pack layer" img-pack layer L
ok "bad --level is a usage error" \
    sh -c 'img-pack layer --level 10 L D 2>err; test $? = 2 && head -1 err | grep -q "^img-pack: --level 10: expected 1 to 9 (19 with --zstd)\$"'
testerr "bad SOURCE_DATE_EPOCH" 2 "SOURCE_DATE_EPOCH=soon: not a time" \
    env SOURCE_DATE_EPOCH=soon img-pack layer L .

# --- init ----------------------------------------------------------------
testcmd "init makes a layout" 0 "" img-pack init L
ok "layout has oci-layout, index.json, blobs/sha256" \
    test -f L/oci-layout -a -f L/index.json -a -d L/blobs/sha256
testcmd "init again leaves it alone" 0 "" img-pack init L
testerr "layer into a non-layout" 1 "^img-pack: nolayout: not an OCI image layout" \
    sh -c 'mkdir -p nolayout; img-pack layer nolayout .'
testerr "layer of a missing dir" 1 "^img-pack: missing: No such file" img-pack layer L missing

# --- a busybox image -----------------------------------------------------
mkrootfs root
echo hello >root/etc/motd
ln root/etc/motd root/etc/motd.link
long=$(printf 'd%.0s' $(seq 1 60))
mkdir -p "root/$long/$long"
echo deep >"root/$long/$long/a-file-with-a-name-long-enough-for-pax"
ln -s "/$long/$long/a-file-with-a-name-long-enough-for-pax-target-too-long" root/longlink
one=$(printf 'n%.0s' $(seq 1 150))
echo one >"root/$one"
echo big >root/bigid && chown 3000000:3000001 root/bigid
setfattr -n user.skiff -v packed root/etc/motd 2>/dev/null
touch -d '2030-01-01' root/etc/motd

out=$(img-pack layer L root) || fail "layer"
eval "$out"
base_digest=$digest base_diff=$diff_id
ok "layer prints digest, diff_id, size, media type" \
    test -n "$digest" -a -n "$diff_id" -a -n "$size" -a "$media_type" = application/vnd.oci.image.layer.v1.tar+gzip
ok "the blob is there under its digest, with its size" \
    test "$(stat -c %s "L/blobs/sha256/${digest#sha256:}")" = "$size"
ok "diff_id is the sha256 of the tar" \
    test "sha256:$(zcat "L/blobs/sha256/${digest#sha256:}" | sha256sum | cut -d' ' -f1)" = "$diff_id"
tv=$(tar -tvzf "L/blobs/sha256/${digest#sha256:}" --full-time 2>&1)
ok "GNU tar reads the layer" test $? -eq 0
ok "mtimes newer than SOURCE_DATE_EPOCH are clamped" \
    sh -c "echo '$tv' | grep -q 'etc/motd\$' && echo '$tv' | grep 'etc/motd\$' | grep -q '2023-11-14 22:13:20'"
ok "hard links stay hard links" sh -c "echo '$tv' | grep -q 'etc/motd.link link to etc/motd'"
ok "big ids go into PAX headers" sh -c "echo '$tv' | grep -q '3000000/3000001 .* bigid'"
ok "long names survive" sh -c "echo '$tv' | grep -q '$long/$long/a-file-with-a-name-long-enough-for-pax\$'"
ok "a 150-byte name survives" sh -c "echo '$tv' | grep -q ' $one\$'"
ok "long link targets survive" sh -c "echo '$tv' | grep -q 'longlink -> /$long/$long/a-file-with-a-name-long-enough-for-pax-target-too-long'"
if getfattr -n user.skiff root/etc/motd >/dev/null 2>&1; then
	ok "xattrs go into PAX headers" sh -c "zcat L/blobs/sha256/${digest#sha256:} | grep -aq 'SCHILY.xattr.user.skiff=packed'"
else
	skip "user xattrs not supported here"
fi
ok "entries are sorted, with no ./ or / prefix" \
    sh -c "echo '$tv' | awk '{print \$6}' | head -3 | tr '\n' ' ' | grep -q '^bigid bin/ bin/\\[ '"

mkdir -p emptydir
out=$(img-pack layer L emptydir) && eval "$out"
ok "an empty dir is a valid, empty layer" \
    sh -c "gzip -t L/blobs/sha256/${digest#sha256:} && test \$(zcat L/blobs/sha256/${digest#sha256:} | wc -c) = 1024"
eval "$(img-pack layer L root)"
mkdir -p special/dev
mknod special/dev/null c 1 3 && mknod special/dev/loop9 b 7 9 && mkfifo special/fifo
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' special/sock 2>/dev/null
out=$(img-pack layer L special) && eval "$out"
sv=$(tar -tvzf "L/blobs/sha256/${digest#sha256:}")
ok "devices and fifos are kept, sockets left out" \
    sh -c "echo '$sv' | grep -q '^crw-.* 1,3 .* dev/null\$' && echo '$sv' | grep -q '^brw-.* 7,9 .* dev/loop9\$' &&
      echo '$sv' | grep -q '^prw-.* fifo\$' && ! echo '$sv' | grep -q sock"
eval "$(img-pack layer L root)"
testcmd "commit with no tag prints digests" 0 "" sh -c \
    "img-pack commit --layer $digest L | grep -c '^manifest=sha256:' | grep -q 1"
out=$(img-pack commit --env PATH=/bin:/sbin --env HOME=/root --cmd '["/bin/sh"]' \
    --created-by 'COPY rootfs /' --layer "$digest,$diff_id" \
    --history 'ENV PATH=/bin:/sbin' --workdir /root --user 0:0 --expose 80 \
    --expose 53/udp --volume /data --label org.example=skiff --stop-signal SIGTERM \
    --tag base L) || fail "commit"
eval "$out"
base_manifest=$manifest
ok "index.json names the image" \
    sh -c "jq -e '.manifests[] | select(.annotations[\"org.opencontainers.image.ref.name\"]==\"base\") | .digest==\"$manifest\"' L/index.json >/dev/null"
ok "skopeo inspect accepts it" sh -c 'skopeo inspect oci:L:base >inspect.json'
ok "skopeo sees the layer, labels and env" \
    jq -e '.Layers == ["'"$base_digest"'"] and .Labels["org.example"] == "skiff" and (.Env | index("HOME=/root"))' inspect.json
skopeo inspect --config oci:L:base >config.json 2>/dev/null
ok "config: Cmd, WorkingDir, User, ports, volumes, StopSignal" \
    jq -e '.config.Cmd == ["/bin/sh"] and .config.WorkingDir == "/root" and .config.User == "0:0"
      and .config.ExposedPorts == {"80/tcp":{},"53/udp":{}} and .config.Volumes == {"/data":{}}
      and .config.StopSignal == "SIGTERM"' config.json
ok "config: history with empty_layer for a metadata step" \
    jq -e '.history == [{"created":"2023-11-14T22:13:20Z","created_by":"COPY rootfs /"},
      {"created":"2023-11-14T22:13:20Z","created_by":"ENV PATH=/bin:/sbin","empty_layer":true}]
      and .rootfs.diff_ids == ["'"$base_diff"'"]' config.json
ok "umoci unpack accepts it" sh -c 'umoci unpack --image L:base bundle >/dev/null 2>umoci.err'
listing root >want.txt
listing bundle/rootfs >got.txt
ok "umoci's rootfs equals the packed dir" diff want.txt got.txt
ok "umoci keeps the xattr" sh -c '! getfattr -n user.skiff root/etc/motd >/dev/null 2>&1 ||
    getfattr -n user.skiff bundle/rootfs/etc/motd 2>/dev/null | grep -q packed'

cp -a root root2
touch root2/bin/busybox root2/etc
# --- zstd ------------------------------------------------------------------
out=$(img-pack layer --zstd L root) && eval "$out"
zd=$digest
ok "zstd: media type and a stream zstd reads" \
    sh -c "test '$media_type' = application/vnd.oci.image.layer.v1.tar+zstd &&
      zstd -dc L/blobs/sha256/${digest#sha256:} | tar -tf - | grep -q '^etc/motd\$'"
ok "zstd: diff_id is the sha256 of the tar, the same as gzip's" \
    test "$diff_id" = "$base_diff" -a "sha256:$(zstd -dc "L/blobs/sha256/${digest#sha256:}" | sha256sum | cut -d' ' -f1)" = "$diff_id"
out=$(img-pack layer --zstd L root2) && eval "$out"
ok "zstd: the same tree gives the same digest" test "$digest" = "$zd"
out=$(img-pack commit --layer "$zd" --tag zstd L) && eval "$out"
ok "zstd: commit reads the diff_id out of the blob" \
    sh -c "skopeo inspect --config oci:L:zstd 2>/dev/null | jq -e '.rootfs.diff_ids == [\"$base_diff\"]' >/dev/null &&
      jq -e '.layers[0].mediaType == \"application/vnd.oci.image.layer.v1.tar+zstd\"' L/blobs/sha256/${manifest#sha256:} >/dev/null"

# --- the same inputs give the same digests --------------------------------
img-pack init L2 >/dev/null
out=$(img-pack layer L2 root2) && eval "$out"
ok "same tree, other inodes and newer mtimes: same layer digest" test "$digest" = "$base_digest"
out=$(taskset -c 0 img-pack layer L2 root2) && eval "$out"
ok "one core or many: the same gzip bytes" test "$digest" = "$base_digest"
out=$(img-pack commit --env PATH=/bin:/sbin --env HOME=/root --cmd '["/bin/sh"]' \
    --created-by 'COPY rootfs /' --layer "$digest,$diff_id" \
    --history 'ENV PATH=/bin:/sbin' --workdir /root --user 0:0 --expose 80 \
    --expose 53/udp --volume /data --label org.example=skiff --stop-signal SIGTERM \
    --tag base L2) && eval "$out"
ok "same commit: same manifest digest" test "$manifest" = "$base_manifest"
manifest=
out=$(img-pack commit --created-by 'COPY rootfs /' --layer "$digest" --env PATH=/bin:/sbin \
    --env HOME=/root --cmd '["/bin/sh"]' --history 'ENV PATH=/bin:/sbin' --workdir /root \
    --user 0:0 --expose 80 --expose 53/udp --volume /data --label org.example=skiff \
    --stop-signal SIGTERM L2)
eval "$out"
ok "diff_id computed from the blob when not given: same image" test "$manifest" = "$base_manifest"

# --- a child image on a base in another layout -------------------------------
mkdir -p add/opt && echo added >add/opt/file
out=$(img-pack layer L2 add) && eval "$out"
out=$(img-pack commit --from L --from-ref base --entrypoint '["/bin/echo"]' --cmd null \
    --env HOME=/home --created-by 'COPY add /' --layer "$digest,$diff_id" --tag child L2) || fail "child commit"
ok "base layers are carried into the new layout" test -f "L2/blobs/sha256/${base_digest#sha256:}"
skopeo inspect --config oci:L2:child >child.json 2>/dev/null
ok "child: base env kept, HOME replaced, Entrypoint set, Cmd cleared" \
    jq -e '.config.Env == ["PATH=/bin:/sbin","HOME=/home"] and .config.Entrypoint == ["/bin/echo"]
      and (.config | has("Cmd") | not) and .config.WorkingDir == "/root"' child.json
ok "child: two diff_ids, three history entries" \
    jq -e '(.rootfs.diff_ids | length) == 2 and (.history | length) == 3' child.json
ok "umoci unpacks the child with both layers" \
    sh -c 'umoci unpack --image L2:child cb >/dev/null 2>&1 && test "$(cat cb/rootfs/opt/file)" = added && test -x cb/rootfs/bin/busybox'

testcmd "the child image runs under ns-run" 0 "added" ns-run --rootfs cb/rootfs -- /bin/cat /opt/file
out=$(img-pack commit --from L2 --from-ref child --label again=1 --tag child L2) || fail "retag"
ok "tagging again replaces the old entry" \
    sh -c "test \$(jq '[.manifests[] | select(.annotations[\"org.opencontainers.image.ref.name\"]==\"child\")] | length' L2/index.json) = 1"
out=$(img-pack commit --from L2 --from-ref "$(jq -r '.manifests[0].digest' L2/index.json)" --tag bydigest L2)
ok "--from-ref takes a manifest digest" test $? -eq 0

# --- overlay upper dirs ---------------------------------------------------
mkdir -p ov/lower ov/upper ov/work ov/merged
cp -a root/. ov/lower/
mkdir -p ov/lower/var/cache && echo old >ov/lower/var/cache/old
unshare -m sh -c '
	mount -t overlay overlay -o lowerdir=ov/lower,upperdir=ov/upper,workdir=ov/work ov/merged || exit 1
	rm ov/merged/etc/group
	rm -rf ov/merged/var/cache && mkdir ov/merged/var/cache && echo new >ov/merged/var/cache/new
	echo 127.0.0.1 x >ov/merged/etc/hosts
	: >ov/merged/etc/resolv.conf
	mkdir -p ov/merged/run ov/merged/newdir && echo n >ov/merged/newdir/f
' || fail "overlay mount"
mkdir -p ov2/d && setfattr -n trusted.overlay.redirect -v /x ov2/d
testerr "overlay: a redirected directory is refused" 1 "ov2: d: a renamed directory \\(mount the overlay with redirect_dir=off\\)" \
    img-pack layer --overlay-upper L ov2
out=$(img-pack layer --overlay-upper L upper 2>&1)
ok "overlay: a missing upper dir is an error" test $? -eq 1
out=$(img-pack layer --overlay-upper L ov/upper) && eval "$out"
tv=$(tar -tvzf "L/blobs/sha256/${digest#sha256:}")
ok "overlay: a deleted file becomes .wh.NAME" sh -c "echo '$tv' | grep -q ' etc/.wh.group\$'"
ok "overlay: a replaced dir gets .wh..wh..opq first" \
    sh -c "echo '$tv' | grep -A1 ' var/cache/\$' | tail -1 | grep -q 'var/cache/.wh..wh..opq\$'"
ok "overlay: runtime files and empty mountpoints are left out" \
    sh -c "! echo '$tv' | grep -Eq ' (etc/hosts|etc/resolv.conf|run/)\$'"
ok "overlay: no character devices and no overlay xattrs" \
    sh -c "! echo '$tv' | grep -q '^c' && ! zcat L/blobs/sha256/${digest#sha256:} | grep -aq 'overlay\\.'"
ok "overlay: new files are there" sh -c "echo '$tv' | grep -q ' newdir/f\$'"
out=$(img-pack commit --from L --from-ref base --layer "$digest,$diff_id" --tag deleted L) || fail "commit overlay"
ok "umoci honours the whiteouts" \
    sh -c 'umoci unpack --image L:deleted ub >/dev/null 2>&1 && test ! -e ub/rootfs/etc/group &&
      test ! -e ub/rootfs/var/cache/old && test -f ub/rootfs/var/cache/new && test -f ub/rootfs/etc/passwd'
ok "skopeo inspects it" sh -c 'skopeo inspect oci:L:deleted >/dev/null'
if command -v img-unpack >/dev/null; then
	img-unpack -o iu L:deleted >/dev/null 2>&1
	listing iu >iu.txt 2>&1
	listing ub/rootfs >ub.txt
	ok "img-unpack gives the same rootfs as umoci" cmp -s iu.txt ub.txt
else
	skip "img-unpack is not built on this branch"
fi

# --- concurrent tags all land ---------------------------------------------
for i in 1 2 3 4 5 6; do
	img-pack commit --label n=$i --tag "par$i" L >/dev/null &
done
wait
ok "six concurrent commits: six tags in index.json" \
    test "$(jq '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] | startswith("par"))] | length' L/index.json)" = 6

# --- errors leave nothing behind --------------------------------------------
cp L/index.json index.before
nblobs=$(ls L/blobs/sha256 | wc -l)
testerr "commit: unknown blob" 1 "--layer sha256:0{64}: no such blob in L" \
    img-pack commit --layer sha256:0000000000000000000000000000000000000000000000000000000000000000 --tag x L
testerr "commit: bad digest" 2 "--layer sha256:zz: expected DIGEST" img-pack commit --layer sha256:zz L
testerr "commit: --cmd not JSON" 2 "--cmd echo hi: " img-pack commit --cmd 'echo hi' L
testerr "commit: --cmd not strings" 2 "expected a JSON array of strings" img-pack commit --cmd '[1]' L
testerr "commit: --env needs =" 2 "--env FOO: expected KEY=VALUE" img-pack commit --env FOO L
testerr "commit: bad port" 2 "--expose 99999: expected a port" img-pack commit --expose 99999 L
testerr "commit: bad protocol" 2 "--expose 80/icmp: protocol" img-pack commit --expose 80/icmp L
testerr "commit: --from not a layout" 1 "--from nolayout: not an OCI image layout" \
    img-pack commit --from nolayout --tag x L
testerr "commit: unknown base ref" 1 "--from L: nope: no such image" \
    img-pack commit --from L --from-ref nope --tag x L
testerr "commit: --created-by without a layer" 2 "--created-by RUN x: no --layer follows" \
    img-pack commit --created-by 'RUN x' L
testerr "commit: --from-ref without --from" 2 "--from-ref needs --from" img-pack commit --from-ref x L
testerr "commit: not a layout" 1 "nolayout: not an OCI image layout" img-pack commit nolayout
ok "failed commits leave index.json as it was" cmp -s index.before L/index.json
ok "failed commits leave no blobs or temp files" test "$(ls -A L/blobs/sha256 | wc -l)" = "$nblobs"
ok "no temp files in the layout" sh -c '! ls -A L L/blobs/sha256 | grep -q tmp'

# tag, untag, ls, copy: the image verbs of the local store.
testcmd "tag: a second name for the same manifest" 0 "1" \
    sh -c 'img-pack tag L2 child child:again && img-pack ls L2 | awk -F "\t" "\$1 == \"child\" || \$1 == \"child:again\" { print \$2 }" | sort -u | wc -l'
testcmd "untag: the name goes" 0 "0" sh -c 'img-pack untag L2 child:again && img-pack ls L2 | grep -c "^child:again" || true'
testerr "untag: an unknown name" 1 "^img-pack: nope: no such image in the layout$" img-pack untag L2 nope
testerr "tag: an unknown source" 1 "^img-pack: nope: no such image in the layout$" img-pack tag L2 nope x
rm -rf C
testcmd "copy: the image and its blobs into a new layout, skopeo reads it" 0 "2" \
    sh -c 'img-pack copy L2 child C copied && skopeo inspect oci:C:copied | jq ".Layers | length"'
testcmd "copy: only the image's blobs" 0 "4" sh -c 'ls C/blobs/sha256 | wc -l'

done_testing
