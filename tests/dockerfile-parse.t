#!/bin/sh
# SPDX-License-Identifier: ISC
# dockerfile-parse.t: the plan skiff build runs: continuations, comments,
# directives, substitution where Docker does it, exec forms, quoting that
# survives eval, and errors that name the line.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1

# parse NAME EXPECTED [ARGS...] <<Dockerfile
parse() {
	_pname=$1 _pwant=$2; shift 2
	cat >Dockerfile
	testcmd "$_pname" 0 "$_pwant" dockerfile-parse "$@" Dockerfile
}
# bad NAME PATTERN <<Dockerfile: exit 1, one line on stderr, nothing on stdout
bad() {
	cat >Dockerfile
	dockerfile-parse Dockerfile >bad.out 2>bad.err
	_rc=$?
	if [ $_rc -eq 1 ] && [ ! -s bad.out ] && [ "$(wc -l <bad.err)" -eq 1 ] &&
	    grep -Eq -- "^dockerfile-parse: $2" bad.err; then
		pass "$1"
	else
		fail "$1" "exit $_rc" "stderr: $(cat bad.err)" "stdout: $(head -c 200 bad.out)"
	fi
}

testcmd "--version" 0 "dockerfile-parse 0.1.0" dockerfile-parse --version
ok "--help shows the options" sh -c 'dockerfile-parse --help | grep -q -- --build-arg'
testerr "two files is a usage error" 2 "^usage: dockerfile-parse" dockerfile-parse a b
ok "unknown option is a usage error" \
    sh -c 'dockerfile-parse --frob 2>err; test $? = 2 && head -1 err | grep -q "unknown option --frob"'
testerr "missing file" 1 "^dockerfile-parse: nosuch: No such file" dockerfile-parse nosuch

parse "a full Dockerfile" "3 FROM -- 'busybox:1.36' 'build'
4 ARG -- 'VER' '1.36'
5 ENV -- 'A=1' 'B=two words' 'C='
7 ENV -- 'OLD=form value here'
8 LABEL -- 'com.x=y' 'z=set'
10 RUN -- '/bin/sh' '-c' 'echo \"\$A\" &&   echo it'\\''s'
13 RUN -- '/bin/echo' 'a b' 'c'\\''d'
14 COPY '--chown=1:0' -- 'a*' 'b c' '/dst/'
15 WORKDIR -- '/my dir/1'
16 USER -- 'nobody'
17 EXPOSE -- '80' '53/udp'
18 VOLUME -- '/data' '1'
19 CMD -- '[\"/bin/sh\",\"-c\",\"echo hi\"]'
20 ENTRYPOINT -- '[\"/bin/sh\",\"-c\"]'
21 SHELL -- '[\"/bin/bash\",\"-c\"]'
22 CMD -- '[\"/bin/bash\",\"-c\",\"echo bash\"]'
23 FROM -- 'build'
24 COPY '--from=build' -- '/x' '/y'" --build-arg VER=1.36 <<'EOF'
ARG BASE=busybox
ARG VER
FROM ${BASE}:${VER:-latest} AS Build
ARG VER
ENV A=1 B="two words" \
    C=$A
ENV OLD form value here
LABEL "com.x"="y" z=${B:+set}
# comment
RUN echo "$A" && \
  # a comment inside a continuation
  echo it's
RUN ["/bin/echo", "a b", "c'd"]
COPY --chown=${A}:0 a* "b c" /dst/
WORKDIR /my dir/$A
USER ${NOPE:-nobody}
EXPOSE 80 53/udp
VOLUME ["/data", "$A"]
CMD echo hi
ENTRYPOINT ["/bin/sh","-c"]
SHELL ["/bin/bash", "-c"]
cmd echo bash
FROM build
COPY --from=build /x /y
EOF

parse "defaults when the build arg is missing" "2 FROM -- 'busybox:latest'" <<'EOF'
ARG VER
FROM busybox:${VER:-latest}
EOF

printf '# escape=`\r\nFROM scratch\r\nRUN echo a `\r\n\r\n  b\r\nCOPY C:\\dir /x\r\n' >Dockerfile
testcmd "escape directive, CRLF, a blank line in a continuation" 0 "2 FROM -- 'scratch'
3 RUN -- '/bin/sh' '-c' 'echo a   b'
6 COPY -- 'C:\\dir' '/x'" dockerfile-parse Dockerfile

parse "ARG before FROM is for FROM only, unless declared again" "2 FROM -- 'alpine'
3 ENV -- 'X=' 'Y=alpine'
4 ARG -- 'IMG' 'alpine'
5 ENV -- 'Z=alpine'" <<'EOF'
ARG IMG=alpine
FROM $IMG
ENV X=$IMG Y=${IMG:-alpine}
ARG IMG
ENV Z=$IMG
EOF

parse "ENV wins over ARG; an ARG default sees ENV" "1 FROM -- 'a'
2 ARG -- 'V' 'arg'
3 ENV -- 'V=env'
4 LABEL -- 'l=env'
5 ARG -- 'W' 'env-w'" <<'EOF'
FROM a
ARG V=arg
ENV V=env
LABEL l=$V
ARG W=${V}-w
EOF

cat >Dockerfile <<'EOF'
FROM a
ARG FROMENV
ARG UNSET
EOF
FROMENV=yes
export FROMENV
testcmd "--build-arg K takes K from the environment" 0 "1 FROM -- 'a'
2 ARG -- 'FROMENV' 'yes'
3 ARG -- 'UNSET'" dockerfile-parse --build-arg FROMENV --build-arg UNSET Dockerfile
unset FROMENV

parse "a stage from a stage keeps its ENV; --target stops after it" "1 FROM -- 'a' 'one'
2 ENV -- 'P=1'
3 FROM -- 'one' 'two'
4 ENV -- 'Q=1'" --target two <<'EOF'
FROM a AS one
ENV P=1
FROM one AS two
ENV Q=$P
FROM two AS three
RUN never
EOF

parse "--image-env: a base image's ENV, for that image only" "1 FROM -- 'img:1'
2 WORKDIR -- '/home/u'
3 FROM -- 'other'
4 WORKDIR -- '/x'" --image-env img:1=HOME=/home/u --image-env img:1=A=b=c <<'EOF'
FROM img:1
WORKDIR $HOME
FROM other
WORKDIR /x$HOME
EOF
ok "--image-env needs IMAGE=K=V" \
    sh -c 'dockerfile-parse --image-env img=K Dockerfile 2>err; test $? = 2 && head -1 err | grep -q "expected IMAGE=K=V"'

parse "quotes and escapes as Docker reads them" "1 FROM -- 'a'
2 ENV -- 'A=x y' 'B=\$A' 'C=a\"b' 'D=\\q'
3 COPY -- '\$HOME' 'x y' '/' '/dst'" <<'EOF'
FROM a
ENV A="x y" B='$A' C="a\"b" D="\q"
COPY \$HOME x\ y / /dst
EOF

parse "an expanded value is never split (Docker's ProcessWord)" "1 FROM -- 'a'
2 ENV -- 'F=f1 f2'
3 COPY -- 'f1 f2' '/d/'
4 COPY -- 'f1 f2' '/d/'
5 ENV -- 'G=f1 f2'
6 LABEL -- 'l=f1 f2' 'm=set'" <<'EOF'
FROM a
ENV F="f1 f2"
COPY $F /d/
COPY "$F" /d/
ENV G=$F
LABEL l=${F:+$F} m=${F:+set}
EOF

parse "invalid JSON falls back to the shell form" "1 FROM -- 'a'
2 CMD -- '[\"/bin/sh\",\"-c\",\"[not json\"]'" <<'EOF'
FROM a
CMD [not json
EOF

parse "platform args are predefined" "1 FROM '--platform=linux/amd64' -- 'a'
2 ARG -- 'TARGETARCH' 'amd64'" <<'EOF'
FROM --platform=$BUILDPLATFORM a
ARG TARGETARCH
EOF

cat >Dockerfile <<'EOF'
FROM a
RUN echo '$(touch pwned)' `touch pwned2` "it's" ; touch x\'
COPY ["$(touch pwned3)", "/"]
EOF
dockerfile-parse Dockerfile >plan
n=0
while IFS= read -r line; do
	eval "set -- $line"
	n=$((n + $#))
done <plan
ok "eval of the plan runs nothing it quotes" test ! -e pwned -a ! -e pwned2 -a ! -e pwned3 -a "$n" -eq 15
sed -n 2p plan >line2
IFS= read -r line <line2
eval "set -- $line"
cat >want <<'EOF'
echo '$(touch pwned)' `touch pwned2` "it's" ; touch x\'
EOF
printf '%s\n' "$6" >got
ok "eval gives the words back" cmp -s want got

# The peer's reading of the same ENV and LABEL lines (buildah 1.28 lacks
# ${V-x} and ${V+x}, so those stay out of this file).
if command -v buildah >/dev/null && command -v jq >/dev/null && [ "$(id -u)" = 0 ]; then
	mkdir -p peer
	cat >peer/Dockerfile <<'EOF'
ARG G=glob
FROM scratch
ARG G
ENV A=1 B="two words"
ENV C=$A D=${B:+set} E=${NOPE:-def} F='$A' G2="${G}" H=$B
ENV OLD form  value   here
LABEL l1=$A l2="${B}" l3=a\ b l4="x\"y" l5=${A:+${B}} l6=\$A l8="a\qb"
LABEL l9=$C l10=$D l11=$E l12=$F l13=$G2 l14="$OLD" "l 15"=${B:-x}
EOF
	b="buildah --root $TMP/peer/root --runroot $TMP/peer/run --storage-driver vfs"
	if $b bud --isolation chroot -t peer -f peer/Dockerfile peer >peer/log 2>&1 &&
	    $b inspect --type image peer >peer/inspect.json 2>>peer/log; then
		jq -r '.OCIv1.config.Env[] | select(startswith("PATH=") | not)' peer/inspect.json >peer/want
		jq -r '.OCIv1.config.Labels | to_entries[] | select(.key != "io.buildah.version") |
		    "\(.key)=\(.value)"' peer/inspect.json | sort >>peer/want
		dockerfile-parse peer/Dockerfile >peer/plan
		: >peer/env; : >peer/labels
		while IFS= read -r line; do
			eval "set -- $line"
			case $2 in
			ENV) shift 3; printf '%s\n' "$@" >>peer/env ;;
			LABEL) shift 3; printf '%s\n' "$@" >>peer/labels ;;
			esac
		done <peer/plan
		sort peer/labels >>peer/env
		ok "ENV and LABEL read as buildah reads them" sh -c "test \$(wc -l <peer/want) -eq 23 && cmp -s peer/want peer/env"
	else
		skip "buildah bud failed here: $(tail -1 peer/log)"
	fi
	$b rmi -a >/dev/null 2>&1
	rm -rf peer 2>/dev/null
else
	skip "buildah (the peer) is not installed"
fi

bad "unknown instruction, with its line" "Dockerfile:3: unknown instruction: COPPY" <<'EOF'
FROM a

COPPY a b
EOF
bad "instruction before FROM" "Dockerfile:1: RUN before the first FROM" <<'EOF'
RUN x
EOF
bad "no FROM" "Dockerfile: no FROM instruction" <<'EOF'
# only a comment
ARG X
EOF
bad "ONBUILD is refused" "Dockerfile:2: ONBUILD is not supported" <<'EOF'
FROM a
ONBUILD RUN x
EOF
bad "here-documents are refused" "Dockerfile:2: RUN: here-documents are not supported" <<'EOF'
FROM a
RUN <<EOT
EOF
bad "unterminated quote" "Dockerfile:2: unterminated double quote" <<'EOF'
FROM a
ENV A="x
EOF
bad "an error in a continued line names its first line" "Dockerfile:2: unterminated single quote" <<'EOF'
FROM a
COPY a \
  'b c
EOF
bad "unknown flag" "Dockerfile:2: COPY: unknown flag --frob" <<'EOF'
FROM a
COPY --frob=1 a b
EOF
bad "unsupported substitution" 'Dockerfile:2: unsupported substitution in \$\{A\.\.\.\}' <<'EOF'
FROM a
ENV B=${A#x}
EOF
bad "\${VAR:?msg} when unset" "Dockerfile:2: NEED: must be set" <<'EOF'
FROM a
WORKDIR ${NEED:?must be set}
EOF
bad "bad escape directive" "Dockerfile:1: escape directive" <<'EOF'
# escape=x
FROM a
EOF
bad "COPY with one argument" "Dockerfile:2: COPY needs a source and a destination" <<'EOF'
FROM a
COPY onlyone
EOF
bad "ENV without a value" "Dockerfile:2: ENV needs a value" <<'EOF'
FROM a
ENV LONELY
EOF
bad "a newline in a JSON word" "Dockerfile:2: control character in an argument" <<'EOF'
FROM a
RUN ["sh", "-c", "a\nb"]
EOF
bad "FROM with junk" "Dockerfile:1: FROM: expected IMAGE \[AS NAME\]" <<'EOF'
FROM a b c d
EOF
bad "the same stage name twice" "Dockerfile:2: FROM: stage name x used twice" <<'EOF'
FROM a AS x
FROM b AS x
EOF
echo 'FROM a AS x' >Dockerfile
testerr "--target of an unknown stage" 1 "^dockerfile-parse: Dockerfile: no stage named nope" \
    dockerfile-parse --target nope Dockerfile
printf 'FROM a\nRUN a\000b\n' >Dockerfile
testerr "a NUL byte" 1 "^dockerfile-parse: Dockerfile:2: NUL byte" dockerfile-parse Dockerfile
testcmd "stdin as -" 0 "1 FROM -- 'x'" sh -c 'echo "FROM x" | dockerfile-parse -'

done_testing
