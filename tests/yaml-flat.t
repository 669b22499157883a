#!/bin/sh
# SPDX-License-Identifier: ISC
# yaml-flat.t: YAML documents into shell-readable lines.
. "$(dirname "$0")/lib.sh"
TAB=$(printf '\t')
y() { printf '%s' "$1" | yaml-flat; }

testcmd "a mapping" 0 "0${TAB}a${TAB}p${TAB}1
0${TAB}b/c${TAB}s${TAB}x" y 'a: 1
b: {c: "x"}'
testcmd "lists and documents" 0 "0${TAB}l/0${TAB}p${TAB}x
0${TAB}l/1${TAB}p${TAB}y
1${TAB}k${TAB}p${TAB}v" y 'l: [x, y]
---
k: v'
testcmd "quoted number is a string" 0 "0${TAB}replicas${TAB}s${TAB}3" y 'replicas: "3"'
testcmd "escapes" 0 "0${TAB}m${TAB}s${TAB}a\\\\b\\nc\\td" y 'm: "a\\b\nc\td"'
testcmd "keys with / and % are encoded" 0 "0${TAB}labels/app.kubernetes.io%2Fname${TAB}p${TAB}web" \
    y 'labels: {app.kubernetes.io/name: web}'
testcmd "aliases are expanded" 0 "0${TAB}a/0${TAB}p${TAB}1
0${TAB}b/0${TAB}p${TAB}1" y 'a: &x [1]
b: *x'
testcmd "comments and a leading ---" 0 "0${TAB}k${TAB}p${TAB}v" y '# c
---
k: v # trailing'
testcmd "the seed's nginx.yaml" 0 "nginx:1.14.2" sh -c \
    'yaml-flat "$1" | awk -F "\t" "\$2 ~ /containers\/0\/image\$/ { print \$4 }"' sh "$TOP/tests/fuzz/corpus/yaml/nginx.yaml"
testerr "bad YAML: line and problem" 1 "^yaml-flat: stdin: line 2: " y 'a: [
'
testerr "missing file" 1 "^yaml-flat: /nonexistent: No such file or directory$" yaml-flat /nonexistent
# A billion laughs: nine levels of nine aliases.
{
	echo 'a: &a [x, x, x, x, x, x, x, x, x]'
	prev=a
	for l in b c d e f g h i; do
		printf '%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n' $l $l $prev $prev $prev $prev $prev $prev $prev $prev $prev
		prev=$l
	done
} >"$TMP/laughs.yaml"
testerr "alias bombs are cut off" 1 "more than 100000 values" yaml-flat "$TMP/laughs.yaml"
i=0; s="" e=""; while [ $i -lt 5000 ]; do s="$s["; e="$e]"; i=$((i + 1)); done; s="${s}x$e"
testerr "deep nesting is refused" 1 "nested deeper than 64 levels" y "$s"
testerr "unknown option: 2" 2 "^yaml-flat: --bogus: unknown option$" yaml-flat --bogus
testcmd "--version" 0 "yaml-flat 0.1.0" yaml-flat --version
done_testing
