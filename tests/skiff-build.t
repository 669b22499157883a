#!/bin/sh
# SPDX-License-Identifier: ISC
# skiff-build.t: Dockerfiles into OCI images that other tools accept.
. "$(dirname "$0")/lib.sh"
need_root
for t in img-pack img-unpack dockerfile-parse vol-mount ns-run; do
	command -v $t >/dev/null || skip_all "$t not built"
done
export SKIFF_ROOT=$TMP/root SKIFF_RUN=$TMP/run
bb=$(command -v busybox) || skip_all "busybox-static not installed"

ex() {	# ex NAME: a copy of contrib/examples/NAME with busybox in it
	rm -rf "$TMP/$1"
	cp -a "$TOP/contrib/examples/$1" "$TMP/$1" && cp "$bb" "$TMP/$1/busybox"
}
run() { ns-run --rootfs "$1" --net new -- "$@"; }

ex web
testcmd "build the FROM scratch web example" 0 "" sh -c 'skiff build -q -t web "$1" >/dev/null' sh "$TMP/web"
id1=$(skiff build -q -t web "$TMP/web")
testcmd "a cached rebuild gives the same image" 0 "$id1" skiff build -q -t web "$TMP/web"
testcmd "... and says nothing changed" 0 "Using cache: nothing changed" sh -c 'skiff build -t web "$1" | head -1' sh "$TMP/web"
echo changed >>"$TMP/web/index.html"
testcmd "a changed context file gives a new image" 0 "new" \
    sh -c '[ "$(skiff build -q -t web "$1")" != "$2" ] && echo new' sh "$TMP/web" "$id1"
testcmd "... whose three steps before the change came from the cache" 0 "3" \
    sh -c 'echo again >>"$1/index.html"; skiff build -t web "$1" | grep -c "cached"' sh "$TMP/web"
cp "$TOP/contrib/examples/web/index.html" "$TMP/web/index.html"
img-unpack -o "$TMP/webroot" web >/dev/null
testcmd "the image runs: its CMD serves a page" 0 "hello from box" \
    sh -c 'ns-run --rootfs "$1" --hostname box --net new -- /bin/sh -c "
	echo \"hello from \$(hostname)\" >/www/index.html; httpd -p 127.0.0.1:80 -h /www;
	sleep 0.2; wget -qO- http://127.0.0.1/"' sh "$TMP/webroot"
eval "$(img-unpack --config web)"
testcmd "the config: Cmd, Env, WorkingDir, ExposedPorts" 0 "/www 80/tcp" sh -c 'echo "$1 $2"' sh "$WorkingDir" "$(eval "set -- $ExposedPorts"; echo "$1")"
testcmd "FROM scratch gets docker's PATH" 0 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    sh -c 'eval "set -- $1"; for e; do case $e in PATH=*) echo "$e";; esac; done' sh "$Env"
if command -v skopeo >/dev/null; then
	testcmd "skopeo inspects it" 0 "amd64" sh -c 'skopeo inspect "oci:$1/images:web:latest" | sed -n "s/.*\"Architecture\": \"\(.*\)\".*/\1/p"' sh "$SKIFF_ROOT"
else
	skip "skopeo not installed"
fi
if command -v umoci >/dev/null; then
	umoci unpack --image "$SKIFF_ROOT/images:web:latest" "$TMP/umoci" >/dev/null 2>&1
	img-unpack -o "$TMP/webroot2" web >/dev/null
	testcmd "umoci unpacks the same files as img-unpack" 0 "" \
	    sh -c 'cd "$1" && find . | sort >"$3/a"; cd "$2/rootfs" && find . | sort >"$3/b"; diff "$3/a" "$3/b"' \
	    sh "$TMP/webroot2" "$TMP/umoci" "$TMP"
else
	skip "umoci not installed"
fi

ex multistage
testcmd "a multi-stage build with --build-arg" 0 "hi from the build stage" \
    sh -c 'skiff build -q -t ms --build-arg GREETING=hi "$1" >/dev/null && img-unpack -o "$2/ms" ms >/dev/null && cat "$2/ms/greeting"' sh "$TMP/multistage" "$TMP"
testcmd "... the last stage holds only what it copied" 0 "bin greeting" sh -c 'ls "$1/ms" | xargs' sh "$TMP"

# A RUN that deletes a file of a lower layer: a whiteout both unpackers honour.
mkdir -p "$TMP/wh"
cp "$bb" "$TMP/wh/busybox"
cat >"$TMP/wh/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN rm /bin/wget && mkdir /made && echo x >/made/file
EOF
skiff build -q -t wh "$TMP/wh" >/dev/null
img-unpack -o "$TMP/whroot" wh >/dev/null
testcmd "a deleted file stays deleted (img-unpack)" 0 "gone x" \
    sh -c 'test -e "$1/bin/wget" || test -L "$1/bin/wget" && echo there || echo gone $(cat "$1/made/file")' sh "$TMP/whroot"
if command -v umoci >/dev/null; then
	umoci unpack --image "$SKIFF_ROOT/images:wh:latest" "$TMP/whu" >/dev/null 2>&1
	testcmd "a deleted file stays deleted (umoci)" 0 "gone" \
	    sh -c 'test -L "$1/rootfs/bin/wget" && echo there || echo gone' sh "$TMP/whu"
fi

# The store's image verbs.
testcmd "images lists web" 0 "web latest" sh -c 'skiff images | awk "\$1 == \"web\" { print \$1, \$2 }"'
testcmd "tag gives it a second name, the same image" 0 "2" \
    sh -c 'skiff tag web web:v2 && skiff images | awk "\$1 == \"web\" { print \$3 }" | sort | uniq -c | awk "{ print \$1 }"'
testcmd "save writes an oci-archive skopeo reads" 0 "amd64" \
    sh -c 'skiff save web:v2 -o "$1/web.tar" && skopeo inspect "oci-archive:$1/web.tar" | sed -n "s/.*\"Architecture\": \"\(.*\)\".*/\1/p"' sh "$TMP"
testcmd "load reads it into another store" 0 "web:v2" \
    sh -c 'SKIFF_ROOT="$1/other" skiff load -i "$1/web.tar"' sh "$TMP"
testcmd "rmi removes the name only" 0 "Untagged: web:v2
latest" sh -c 'skiff rmi web:v2 && skiff images | awk "\$1 == \"web\" { print \$2 }"'
testerr "rmi of an unknown image" 1 "^skiff: no such image: nope$" skiff rmi nope

# Errors: Dockerfile:LINE, exit 1, and no image left under the name.
bad() {	# bad NAME DOCKERFILE-TEXT
	mkdir -p "$TMP/$1"
	cp "$bb" "$TMP/$1/busybox"
	printf '%s\n' "$2" >"$TMP/$1/Dockerfile"
}
bad b1 'FROM scratch
COPPY busybox /bin/busybox'
testerr "an unknown instruction" 1 "^skiff: build: Dockerfile:2: .*COPPY" skiff build -t b1 "$TMP/b1"
bad b2 'FROM scratch
COPY missing /x'
testerr "a missing COPY source" 1 "^skiff: build: Dockerfile:2: COPY missing: no such file" skiff build -t b2 "$TMP/b2"
bad b3 'FROM scratch
COPY ../../etc/passwd /x'
testerr "a COPY source escaping the context with .." 1 "^skiff: build: Dockerfile:2: COPY ../../etc/passwd: outside the build context" skiff build -t b3 "$TMP/b3"
bad b4 'FROM scratch
COPY link /x'
ln -s /etc/passwd "$TMP/b4/link"
ln -s ../../../../../../etc "$TMP/b4/dirlink"
testerr "a COPY of a symlink that points out of the context" 1 "^skiff: build: Dockerfile:2: COPY link: outside the build context" \
    skiff build -t b4 "$TMP/b4"
bad b5 'FROM scratch
COPY dirlink/passwd /x'
ln -s ../../../../../../etc "$TMP/b5/dirlink"
testerr "a COPY through a symlink out of the context" 1 "^skiff: build: Dockerfile:2: COPY dirlink/passwd: outside the build context" skiff build -t b5 "$TMP/b5"
bad b6 'FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "false"]'
testerr "a failing RUN" 1 "^skiff: build: Dockerfile:3: RUN returned a non-zero code: 1" skiff build -t b6 "$TMP/b6"
bad b7 'FROM scratch
ADD https://example.com/x /x'
testerr "ADD of a URL is refused" 1 "^skiff: build: Dockerfile:2: ADD https://example.com/x: URLs are not supported" skiff build -t b7 "$TMP/b7"
testcmd "no failed build left an image" 0 "" sh -c 'for n in b1 b2 b3 b4 b5 b6 b7; do img-unpack --inspect $n >/dev/null 2>&1 && echo $n; done; true'
bad b8 'FROM nothere:1'
testerr "an unknown base image" 1 "^skiff: build: Dockerfile:1: FROM nothere:1: " skiff build -t b8 "$TMP/b8"
testerr "no -t" 2 "^skiff: build: -t NAME" skiff build "$TMP/b8"
done_testing
