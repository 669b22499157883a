#!/bin/sh
# SPDX-License-Identifier: ISC
# fuzz.t: every libFuzzer target runs briefly under ASan and UBSan.
. "$(dirname "$0")/lib.sh"
command -v clang >/dev/null || skip_all "clang is not installed"
targets=$(ls "$TOP"/tests/fuzz/*.c 2>/dev/null | sed 's|.*/||; s|\.c$||')
[ -n "$targets" ] || skip_all "no fuzz targets"
for t in $targets; do
	ok "fuzz target $t survives ${SKIFF_FUZZ_SECONDS:-3}s under ASan/UBSan" \
	    "$TOP/tests/fuzz/run" "${SKIFF_FUZZ_SECONDS:-3}" "$t"
done
done_testing
