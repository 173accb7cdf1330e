#!/bin/sh
# A PNG of ghost text in Neovim running in a real terminal (xterm under Xvfb):
#   editors/nvim/tests/screenshot.sh [BIN] [OUT.png]     (default bin/llmls, docs/nvim-ghost-text.png)
# Needs Debian's xvfb, xterm, x11-apps (xwd) and netpbm. The model: $LLMLS_TEST_MODEL, else
# the binary's embedded one. LLMLS_SHOT_LINE, LLMLS_SHOT_TEXT and LLMLS_SHOT_KEYS choose the
# line, its text and the keys typed there (default: line 31 of testdata/demo/stack.go, a tab,
# "A").
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac; }
bin=$(abs "${1:-$repo/bin/llmls}")
out=$(abs "${2:-$repo/docs/nvim-ghost-text.png}")
for tool in Xvfb xterm xwd xwdtopnm pnmtopng nvim; do
	command -v $tool >/dev/null || { echo "screenshot: $tool missing (apt-get install xvfb xterm x11-apps netpbm neovim)"; exit 1; }
done
tmp=$(mktemp -d)
display=:${LLMLS_SHOT_DISPLAY:-57}
Xvfb "$display" -screen 0 1280x1024x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
xvfb=$!
cleanup() { kill "${term:-}" "$xvfb" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
sleep 1
DISPLAY=$display LLMLS_BIN=$bin LLMLS_TEST_FILE=${LLMLS_TEST_FILE:-$repo/testdata/demo/stack.go} \
	LLMLS_SHOT_DONE=$tmp/done \
	xterm -T llmls-shot -geometry 90x41+0+0 -tn xterm-256color -fa 'DejaVu Sans Mono' -fs 12 \
	-bg '#1c1c1c' -fg '#d0d0d0' -b 8 \
	-e nvim -n -i NONE -u "$here/minimal_init.lua" -c "lua require('llmls_test.screenshot').run()" &
term=$!
i=0
while [ ! -f "$tmp/done" ]; do
	i=$((i + 1))
	if [ $i -gt 600 ]; then echo "screenshot: no ghost text within 60 s"; exit 1; fi
	sleep 0.1
done
DISPLAY=$display xwd -name llmls-shot -silent | xwdtopnm 2>/dev/null | pnmtopng >"$out"
echo "wrote $out"
