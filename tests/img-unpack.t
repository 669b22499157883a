#!/bin/sh
# SPDX-License-Identifier: ISC
# img-unpack: real images made by umoci, skopeo and GNU tar unpack exactly as
# umoci unpacks them; store mode gives overlay lower dirs; hostile layers
# are refused or contained.
. "$(dirname "$0")/lib.sh"
need_root
for t in umoci skopeo getfattr setfattr /usr/bin/python3; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t not installed (contrib/packages.d/img-unpack.txt)"
done
SKIFF_ROOT=$TMP/root
export SKIFF_ROOT
cd "$TMP" || exit 1

# listing DIR: every entry's type, mode, owner, size, link count, target,
# content, device numbers, hardlink groups and xattrs (dir mtimes aside).
listing() {
	( cd "$1" || exit 1
	find . -mindepth 1 \( -type d -printf '%y %m %U %G %p\n' \) -o \
	    \( -type l -printf '%y %U %G %p -> %l\n' \) -o \
	    \( -type f -printf '%y %m %U %G %s %n %T@ %p\n' \) -o -printf '%y %m %U %G %p\n' |
	    LC_ALL=C sort
	find . -type f -exec md5sum {} + | LC_ALL=C sort -k2
	find . \( -type c -o -type b \) -exec stat -c '%n %t:%T' {} + | LC_ALL=C sort
	find . -type f -links +1 -printf '%i %p\n' | LC_ALL=C sort |
	    awk '{ if ($1 == i) l = l " " $2; else { if (l) print l; l = $2 } i = $1 }
	    END { if (l) print l }' | LC_ALL=C sort
	getfattr -R -h -d -m - . 2>/dev/null |
	    awk '/^# file:/ { f = $3; next } NF { print f, $0 }' | LC_ALL=C sort
	)
}

# pytar OUT SPEC...: a hand-made layer; SPEC is TYPE:NAME[:ARG] with TYPE
# f (file, ARG content), d (dir), l (symlink to ARG), h (hardlink to ARG),
# c (char device 1:3). Names are stored exactly as given.
pytar() {
	/usr/bin/python3 - "$@" <<'PY'
import io, sys, tarfile
out = sys.argv[1]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for spec in sys.argv[2:]:
        kind, name, *arg = spec.split(":", 2)
        i = tarfile.TarInfo(name)
        i.mtime = 1700000000
        data = None
        if kind == "f":
            data = (arg[0] if arg else "").encode()
            i.size = len(data)
            i.mode = 0o644
        elif kind == "d":
            i.type = tarfile.DIRTYPE; i.mode = 0o755
        elif kind == "l":
            i.type = tarfile.SYMTYPE; i.linkname = arg[0]
        elif kind == "h":
            i.type = tarfile.LNKTYPE; i.linkname = arg[0]
        elif kind == "c":
            i.type = tarfile.CHRTYPE; i.devmajor = 1; i.devminor = 3
        t.addfile(i, io.BytesIO(data) if data is not None else None)
PY
}

# mkimg DIR LAYER.tar...: an OCI layout DIR:t with these layers.
mkimg() {
	_d=$1; shift
	umoci init --layout "$_d" 2>/dev/null && umoci new --image "$_d:t" 2>/dev/null || return 1
	for _l in "$@"; do
		umoci raw add-layer --no-history --image "$_d:t" "$_l" 2>/dev/null || return 1
	done
}

# --- Usage ---
testcmd "--help exits 0" 0 "$(img-unpack --help)" img-unpack --help
testcmd "--version" 0 "img-unpack 0.1.0" img-unpack --version
testerr "no IMAGE is a usage error" 2 '^usage: img-unpack' img-unpack
testerr "unknown option" 2 'usage: img-unpack' img-unpack --frob x
testerr "--max-size checked" 2 'max-size' img-unpack --max-size lots x


# suite DIR SUFFIX: everything below, in a directory and a SKIFF_ROOT of its own,
# with whichever img-unpack is first in PATH; test names get SUFFIX.
suite() {
sfx=$2
mkdir -p "$TMP/$1" && cd "$TMP/$1" || exit 1
SKIFF_ROOT=$TMP/$1/root
export SKIFF_ROOT
# sentinel: a host directory next to the targets that must stay untouched.
mkdir -p host && echo secret >host/file
hostsum() { ( cd host && find . -printf '%y %m %p\n' | sort; cat file ) | md5sum; }
HOST=$(hostsum)

# --- A corpus made by GNU tar and umoci ---
mkdir -p s1/etc s1/d/sub s1/opq/keep s1/turn s1/long s1/f2d
( cd s1 || exit 1
echo hello >etc/file; echo gone >etc/gone; ln etc/file etc/hard
ln -s /etc/file abs; ln -s ../../../../etc/file rel
echo a >d/sub/a; echo k >opq/keep/k; echo t >turn/x; echo f >f2d/was-file
L=$(printf 'n%.0s' $(seq 1 120)); mkdir -p "long/$L/$L"; echo deep >"long/$L/$L/$L.txt"
setfattr -n user.note -v "hi there" etc/file
chown 3000000:3000001 etc/file; echo s >suid; chmod 4755 suid
echo p >priv; chmod 600 priv; echo w >wide; chmod 666 wide; echo g >grp; chgrp 100 grp
mkdir -m 1777 tmpd; mkdir -m 700 privd
# a setgid dir of group 100: its file (group 0) needs a chown, its
# subdir (group 100, not setgid) a chmod, which unpacking must not skip
mkdir sgd; echo in >sgd/in; chgrp 100 sgd; chmod 2755 sgd; mkdir sgd/sub; chmod g-s sgd/sub
mknod dev c 1 3; mkfifo fifo )
tar --xattrs --xattrs-include='*' --numeric-owner -C s1 -cf l1.tar .
mkdir -p s2/etc s2/opq s2/d s2/f2d
( cd s2 || exit 1
: >etc/.wh.gone; : >opq/.wh..wh..opq; echo new >opq/new; echo now-file >turn
: >f2d/.wh.was-file; mkdir f2d/was-file; echo in >f2d/was-file/in )
ln s1/etc/file s2/etc/file 2>/dev/null || true
tar --numeric-owner -C s2 -cf l2.tar ./etc/.wh.gone ./opq ./turn ./f2d
# A hardlink in layer 3 to a file of layer 1.
pytar l3.tar d:etc h:etc/hard-again:etc/file f:etc/new:n
mkimg img l1.tar l2.tar l3.tar || skip_all "umoci cannot build the corpus"
umoci unpack --image img:t u >/dev/null 2>&1 || skip_all "umoci unpack failed"
listing u/rootfs >want

testcmd "-o OCI layout (umoci-made)$sfx" 0 "" img-unpack -o out1 img:t
listing out1 >got1
ok "rootfs equals umoci's, entry by entry$sfx" cmp -s want got1
[ -s got1 ] && ! cmp -s want got1 && diff want got1 | head -20 | sed 's/^/# /'
ok "whiteout removed etc/gone$sfx" test ! -e out1/etc/gone -a -f out1/etc/file
ok "opaque dir hides lower content$sfx" test ! -e out1/opq/keep -a -f out1/opq/new
ok "file turned into a directory$sfx" test -f out1/f2d/was-file/in
ok "no .wh. file reached the disk$sfx" test -z "$(find out1 -name '.wh.*')"
ok "hardlink across layers$sfx" test "$(stat -c %i out1/etc/file)" = "$(stat -c %i out1/etc/hard-again)"
ok "symlinks stored verbatim$sfx" test "$(readlink out1/abs)" = /etc/file -a "$(readlink out1/rel)" = ../../../../etc/file
ok "uid above 2^21 and setuid kept$sfx" test "$(stat -c %u:%a out1/etc/file out1/suid | tr '\n' ' ')" = "3000000:644 0:4755 "
# Entries are made with their final owner and mode where that saves a
# chown or chmod: neither a umask that takes bits nor a setgid parent
# (group and setgid bit inherited) may show through.
mkdir -p sgp && chgrp 100 sgp && chmod 2775 sgp
for um in 022 077 000; do
	rm -rf sgp/out && ( umask $um && img-unpack -o sgp/out img:t ) >/dev/null 2>&1
	listing sgp/out >gotm 2>/dev/null
	ok "owners and modes under umask $um in a setgid parent$sfx" cmp -s want gotm
done

skopeo copy -q oci:img:t docker-archive:d.tar:ex/img:t
skopeo copy -q oci:img:t oci-archive:o.tar:t
skopeo copy -q --dest-compress --dest-compress-format zstd oci:img:t oci:z:t
skopeo copy -q --dest-oci-accept-uncompressed-layers --dest-decompress oci:img:t oci:plain:t 2>/dev/null ||
	skopeo copy -q oci:img:t dir:plaindir
for src in docker-archive:d.tar docker-archive:d.tar:ex/img:t d.tar oci-archive:o.tar o.tar:t oci:z:t; do
	rm -rf x
	img-unpack -o x "$src" >/dev/null 2>x.err
	listing x >got 2>/dev/null
	ok "$src unpacks like umoci$sfx" cmp -s want got
done
# Docker 25's archive: an OCI layout plus a manifest.json pointing into it.
cp -a img d25 && cfgd=$(img-unpack --inspect img:t | sed -n 's/^config=sha256://p')
lays=$(img-unpack --inspect img:t | sed -n 's/^layer=sha256:\([0-9a-f]*\) .*/"blobs\/sha256\/\1"/p' | paste -sd, -)
printf '[{"Config":"blobs/sha256/%s","RepoTags":["d25:v"],"Layers":[%s]}]' "$cfgd" "$lays" >d25/manifest.json
tar -C d25 -cf d25.tar . && rm -rf x got && img-unpack -o x d25.tar:d25:v && listing x >got
ok "Docker 25 archive (manifest.json into an OCI layout)$sfx" cmp -s want got
# A nested index with an attestation and another platform beside ours.
cp -a img nest && man=$(img-unpack --inspect img:t | sed -n 's/^manifest=//p')
msize=$(img-unpack --inspect img:t | sed -n 's/^manifest_size=//p')
z64=$(printf %064d 0)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s,%s,%s]}' \
    '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:'"$z64"'","size":1,"platform":{"os":"unknown","architecture":"unknown"},"annotations":{"vnd.docker.reference.type":"attestation-manifest"}}' \
    '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:'"$z64"'","size":1,"platform":{"os":"linux","architecture":"arm64"}}' \
    '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"'"$man"'","size":'"$msize"',"platform":{"os":"linux","architecture":"amd64"}}' >inner
ih=$(sha256sum inner | cut -d' ' -f1) && mv inner "nest/blobs/sha256/$ih"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"multi"}}]}' \
    "$ih" "$(wc -c <"nest/blobs/sha256/$ih")" >nest/index.json
rm -rf x got && img-unpack -o x nest:multi && listing x >got
ok "nested index: linux/amd64 picked, attestation skipped$sfx" cmp -s want got
# A hand-made layout whose one layer is two gzip members, the first with
# a file name in its header (gzip FILE writes one), the second the rest.
mkdir -p mm/blobs/sha256 && tar -C s1 -cf mm.tar . && head -c 10240 mm.tar >mm1 &&
    tail -c +10241 mm.tar >mm2 && gzip -f mm1 mm2 && cat mm1.gz mm2.gz >mm.tgz
sha() { sha256sum "$1" | cut -d' ' -f1; }
lh=$(sha mm.tgz) && cp mm.tgz "mm/blobs/sha256/$lh"
printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$(sha mm.tar)" >mmcfg
ch=$(sha mmcfg) && cp mmcfg "mm/blobs/sha256/$ch"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$ch" "$(wc -c <mmcfg)" "$lh" "$(wc -c <mm.tgz)" >mmman
mh=$(sha mmman) && cp mmman "mm/blobs/sha256/$mh"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"t"}}]}' \
    "$mh" "$(wc -c <mmman)" >mm/index.json
echo '{"imageLayoutVersion":"1.0.0"}' >mm/oci-layout
rm -rf x got mmx && mkdir -p mmx && tar -C mmx -xf mm.tar && listing mmx >mmwant
img-unpack -o x mm:t && listing x >got
ok "multi-member gzip layer with a named header$sfx" cmp -s mmwant got
ok "zstd layers are labelled zstd$sfx" grep -q 'tar+zstd' z/index.json z/blobs/sha256/*
testerr "unknown tag$sfx" 1 "^img-unpack: img:nope: tag nope: not found$" img-unpack -o x2 img:nope
testerr "docker-archive: unknown name$sfx" 1 "tag other:t: not found" img-unpack -o x2 docker-archive:d.tar:other:t
testerr "-o into a non-empty dir refused$sfx" 1 "out1: exists and is not an empty directory" img-unpack -o out1 img:t
mkdir -p emptyd && ln -sfn emptyd linkd
testcmd "-o into an existing empty dir$sfx" 0 "" img-unpack -o emptyd img:t
testerr "-o onto a symlink refused$sfx" 1 "linkd: exists and is not an empty directory" img-unpack -o linkd img:t

# --- --config and --inspect ---
umoci config --image img:t --config.entrypoint /bin/sh --config.entrypoint "-c" \
    --config.cmd 'echo "$HOME" it'"'"'s $(touch pwned) `x`' \
    --config.env 'A=1' --config.env "B=two words'q" --config.workingdir /w \
    --config.user 1000:1000 --config.exposedports 80/tcp --config.volume /data \
    --config.label 'k=v v' --tag cfg >/dev/null
img-unpack --config img:cfg >cfg.out
ok "--config prints every key$sfx" test "$(cut -d= -f1 cfg.out | tr '\n' ' ')" = \
    "Entrypoint Cmd Env WorkingDir User ExposedPorts Volumes Labels StopSignal Architecture Os ImageId "
( eval "$(cat cfg.out)"
  eval "set -- $Cmd"
  [ $# -eq 1 ] && [ "$1" = 'echo "$HOME" it'"'"'s $(touch pwned) `x`' ] || exit 1
  eval "set -- $Entrypoint"; [ "$*" = "/bin/sh -c" ] || exit 1
  eval "set -- $Env"; [ "$2" = "B=two words'q" ] || exit 1
  [ "$WorkingDir" = /w ] && [ "$User" = 1000:1000 ] && [ "$ExposedPorts" = "'80/tcp'" ] &&
  [ "$Volumes" = "'/data'" ] && [ "$Labels" = "'k=v v'" ] ) >/dev/null 2>&1
ok "--config output is eval-safe and round-trips lists$sfx" test $? -eq 0 -a ! -e pwned
img-unpack --inspect img:t >insp
ok "--inspect names manifest, config, layers$sfx" sh -c \
    'grep -q "^manifest=sha256:[0-9a-f]\{64\}$" insp && grep -q "^layers=3$" insp &&
     test "$(grep -c "^layer=sha256:.* application/vnd.oci.image.layer.v1.tar+gzip sha256:" insp)" = 3'

# --- Store mode ---
img-unpack img:t >lowers
ok "store mode prints 3 lower dirs, top first$sfx" test "$(wc -l <lowers)" = 3 -a \
    "$(head -1 lowers)" = "$SKIFF_ROOT/layers/sha256/$(sed -n 's/^layer=.* //p' insp | tail -1 | cut -c8-)"
top=$(head -1 lowers); mid=$(sed -n 2p lowers)
img-unpack --with-config img:t >wc.out
ok "--with-config: the config lines then Lower, top first$sfx" sh -c \
    'test "$(cut -d= -f1 wc.out | tr "\n" " ")" = "Entrypoint Cmd Env WorkingDir User ExposedPorts Volumes Labels StopSignal Architecture Os ImageId Lower " &&
     eval "$(cat wc.out)" && test "$Lower" = "$(paste -sd: lowers)"'
testerr "--with-config and -o exclude each other$sfx" 2 "exclude each other" img-unpack --with-config -o x img:t
ok "whiteout stored as a 0/0 char device$sfx" test "$(stat -c '%F %t:%T' "$mid/etc/gone")" = "character special file 0:0"
ok "opaque dir stored as trusted.overlay.opaque$sfx" sh -c "getfattr -n trusted.overlay.opaque --only-values '$mid/opq' 2>/dev/null | grep -qx y"
ok "hardlink to a lower layer copied into its layer$sfx" test "$(cat "$top/etc/hard-again")" = hello
i1=$(stat -c %i "$top")
testcmd "second run reuses the layers$sfx" 0 "$(cat lowers)" img-unpack docker-archive:d.tar
ok "layer dir untouched by the second run$sfx" test "$(stat -c %i "$top")" = "$i1"
mkdir -p ov
if unshare -m sh -c "mount -t overlay -o lowerdir=$(paste -sd: lowers) overlay ov && cd ov && find . -mindepth 1 >/dev/null && cd .. && $(command -v cp) -a ov/. merged/" 2>/dev/null; then
	listing merged >got
	# cp -a keeps hardlinks only within what it copies: compare without link counts.
	ok "overlay of the lower dirs equals umoci's rootfs$sfx" sh -c \
	    "sed 's/ [0-9]* [0-9.]* \./ ./' want | grep -v '^\./etc/file \./etc/hard' | LC_ALL=C sort >w2
	     sed 's/ [0-9]* [0-9.]* \./ ./' got | grep -v '^\./etc/file \./etc/hard' | LC_ALL=C sort >g2; cmp -s w2 g2 || diff w2 g2 | sed 's/^/# /' >&2; cmp -s w2 g2"
else
	skip "overlay mount not permitted here"
fi
ok "no temp dirs left in the store$sfx" test -z "$(find "$SKIFF_ROOT/layers/sha256" -maxdepth 1 -name '.tmp-*')"
# Four at once into an empty store (a deployment's replicas starting):
# every one gives the lowers, and the layer lock leaves nothing behind.
( export SKIFF_ROOT="$SKIFF_ROOT.par"
  for i in 1 2 3 4; do img-unpack docker-archive:d.tar >par.$i & done; wait )
ok "concurrent store unpacks all give the lowers$sfx" sh -c \
    'for i in 1 2 3 4; do test "$(sed "s|\.par/|/|" par.$i)" = "$(cat lowers)" || exit 1; done'
ok "concurrent store unpacks leave no lock or temp file$sfx" \
    test -z "$(find "$SKIFF_ROOT.par/layers/sha256" -maxdepth 1 -name '.*-*')"
rm -rf "$SKIFF_ROOT.par" par.[1-4]

# --- load: archives into the local store ---
testcmd "load a docker-archive by its RepoTag$sfx" 0 "ex/img:t" img-unpack load d.tar
testcmd "load an oci-archive under a new name$sfx" 0 "mine:v1" img-unpack load o.tar:t mine:v1
testcmd "load a bare name gets :latest$sfx" 0 "zz:latest" img-unpack load oci:z:t zz
rm -rf x got && img-unpack -o x ex/img:t && listing x >got
ok "a loaded image unpacks like umoci by NAME:TAG$sfx" cmp -s want got
rm -rf x got && img-unpack -o x zz && listing x >got
ok "…and by NAME (zstd layers kept)$sfx" cmp -s want got
ok "skopeo reads the local store$sfx" sh -c "skopeo inspect oci:$SKIFF_ROOT/images:mine:v1 | grep -q '\"Layers\"'"
testerr "a NAME not in the store$sfx" 1 "^img-unpack: nope:x: tag nope:x: not found$" img-unpack nope:x
testerr "load of a broken archive$sfx" 1 "^img-unpack: .*truncated" sh -c 'head -c 5000 d.tar >short.tar && img-unpack load short.tar x:y'
ok "…adds nothing to the index$sfx" test "$(grep -o ref.name index.json 2>/dev/null; grep -c 'x:y' "$SKIFF_ROOT/images/index.json")" = 0

# --- Hostile layers ---
hostile() {	# hostile NAME EXPECTED-ERROR-PATTERN SPEC...
	_hn=$1 _hp=$2; shift 2
	rm -rf "h-$_hn" "h-$_hn.tar" "o-$_hn"
	pytar "h-$_hn.tar" "$@" && mkimg "h-$_hn" "h-$_hn.tar" >/dev/null 2>&1 || { fail "$_hn: corpus"; return; }
	testerr "hostile: $_hn$sfx" 1 "$_hp" img-unpack -o "o-$_hn" "h-$_hn:t"
	ok "hostile: $_hn leaves nothing behind$sfx" test ! -e "o-$_hn" -a -z "$(ls -a | grep "^\.o-$_hn")"
	_before=$(ls "$SKIFF_ROOT/layers/sha256" | wc -l)
	testerr "hostile: $_hn in store mode$sfx" 1 "$_hp" img-unpack "h-$_hn:t"
	ok "hostile: $_hn adds nothing to the store$sfx" test "$(ls -a "$SKIFF_ROOT/layers/sha256" | grep -vc '^\.\.\?$')" = "$_before"
}
hostile dotdot 'layer sha256:[0-9a-f]{64}: \.\./\.\./host/file: path escapes the root$' \
    f:../../host/file:pwned
hostile wh-dotdot "a/\.wh\.\.: whiteout of '\.' or '\.\.' refused" d:a f:a/x:1 f:a/.wh..:
hostile hardlink-escape 'hardlink target escapes the root' h:x:../../host/file
hostile hardlink-host 'hardlink target not found' h:x:"$TMP/host/file"
ok "host files untouched$sfx" test "$(hostsum)" = "$HOST"

# Contained rather than refused: absolute names and writes through
# symlinks that point "outside" land inside the root, as in any container.
pytar c1.tar f:/abs/name:1 d:etc l:up:../../../../../etc l:hostlink:"$TMP/host"
pytar c2.tar f:up/passwd:inside d:"${TMP#/}" d:"${TMP#/}/host" f:hostlink/file:inside
rm -rf cont && mkimg cont c1.tar c2.tar
testcmd "absolute names and write-through symlinks contained$sfx" 0 "" img-unpack -o cout cont:t
ok "…inside the root$sfx" test "$(cat cout/abs/name cout/etc/passwd "cout$TMP/host/file")" = "1insideinside"
# Dangling symlinks then writes through them, in one layer: the targets
# are made inside the root.
pytar c3.tar l:esc:../host f:esc/pwn:x l:esc2:"$TMP/host" f:esc2/pwn:y
rm -rf cont3 && mkimg cont3 c3.tar
testcmd "write through dangling symlinks contained$sfx" 0 "" img-unpack -o c3out cont3:t
ok "…inside the root$sfx" test "$(cat c3out/host/pwn "c3out$TMP/host/pwn")" = "xy"
# A symlink replaced by a directory in mid-layer: later entries go to the
# new directory, not through the old link (as umoci does it).
pytar c4.tar d:t l:l:t d:l/x f:l/x/f1:1 d:l d:l/x f:l/x/f2:2
rm -rf cont4 && mkimg cont4 c4.tar
testcmd "symlink replaced by a directory$sfx" 0 "" img-unpack -o c4out cont4:t
ok "…entries follow the replacement$sfx" test -d c4out/l -a ! -L c4out/l -a "$(cat c4out/t/x/f1 c4out/l/x/f2)" = 12 -a ! -e c4out/t/x/f2
ok "host files still untouched$sfx" test "$(hostsum)" = "$HOST"

# Broken blobs.
cp -a img bad && blob=$(sed -n 's/^layer=sha256:\([0-9a-f]*\) .*/\1/p' insp | head -1)
printf 'X' | dd of="bad/blobs/sha256/$blob" bs=1 seek=20 conv=notrunc 2>/dev/null
testerr "bad digest refused$sfx" 1 "layer sha256:$blob: (digest mismatch|gzip: )" img-unpack -o x3 bad:t
ok "bad digest leaves nothing$sfx" test ! -e x3
rm -rf bad && cp -a img bad && truncate -s -10 "bad/blobs/sha256/$blob"
testerr "truncated blob refused$sfx" 1 "layer sha256:$blob: size [0-9]+, expected [0-9]+" img-unpack -o x3 bad:t
rm -rf bad && cp -a img bad
sed -i "s|sha256:\([0-9a-f]*\)\"|sha256:../../../x\"|" bad/index.json
testerr "digest with a / refused$sfx" 1 'digest sha256:\.\./\.\./\.\./x: not sha256: and 64 hex digits' img-unpack -o x3 bad:t
rm -rf bad && cp -a img bad && cfg=$(sed -n 's/^config=sha256://p' insp)
testerr "layer against the wrong diff_id$sfx" 1 'diff_id mismatch|digest mismatch' sh -c \
    "sed -i 's/\"diff_ids\":\[\"sha256:[0-9a-f]*\"/\"diff_ids\":[\"sha256:$(printf %064d 0)\"/' bad/blobs/sha256/$cfg &&
     img-unpack -o x3 bad:t"
rm -rf bad
# A gzip bomb: 100 MB of zeros in a file, under a 16 MB limit.
head -c 100000000 /dev/zero >zeros && tar -cf bomb.tar zeros && rm -f zeros && mkimg bomb bomb.tar && rm -f bomb.tar
testerr "decompression bomb stopped$sfx" 1 'decompressed size exceeds the limit of 16777216 bytes' \
    img-unpack --max-size 16M -o x4 bomb:t
ok "bomb leaves nothing$sfx" test ! -e x4 -a -z "$(ls -a | grep '^\.x4')"
rm -rf bomb
# A layer without the end-of-archive marker (umoci insert makes them).
pytar eoa.tar f:a:1 f:b:2 && head -c 2048 eoa.tar >eoa2.tar && mkimg eoa eoa2.tar
testcmd "missing end-of-archive marker tolerated$sfx" 0 "" img-unpack -o x5 eoa:t
ok "…with all entries$sfx" test "$(cat x5/a x5/b)" = "12"

cd "$TMP" || exit 1
}

suite main ""
# Again under ASan and UBSan (a clang/glibc build), when clang is here.
asan=$TOP/build/asan/img-unpack
if command -v clang >/dev/null && [ -f /usr/include/zstd.h ]; then
	if [ ! -x "$asan" ] || [ -n "$(find "$TOP/lib" "$TOP/cmd/img-unpack.c" -newer "$asan" -name '*.[ch]' | head -1)" ]; then
		mkdir -p "$TOP/build/asan"
		clang -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		    -D_GNU_SOURCE -I"$TOP/lib" -o "$asan" "$TOP/cmd/img-unpack.c" \
		    $(for f in blob image json sha256 tar unpack err exec fd num opt path; do
			echo "$TOP/lib/$f.c"; done) \
		    -lz -lzstd -lpthread 2>"$TMP/asan.log" || rm -f "$asan"
	fi
	if [ -x "$asan" ]; then
		mkdir -p "$TMP/asanbin" && ln -sf "$asan" "$TMP/asanbin/img-unpack"
		PATH=$TMP/asanbin:$PATH ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 suite asan " (asan)"
	else
		fail "ASan build" "$(head -5 "$TMP/asan.log")"
	fi
else
	skip "ASan pass: clang or libzstd-dev missing"
fi
cd / && done_testing
