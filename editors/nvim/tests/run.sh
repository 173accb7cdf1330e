#!/bin/sh
# The Neovim plugin's tests, in the real editor (headless) against a real llmls binary:
#   editors/nvim/tests/run.sh [BIN]        (BIN: default bin/llmls; make test-nvim runs this)
# The model: $LLMLS_TEST_MODEL if set, else the binary's embedded model, else the tiny test
# model of the shared test data (../shared/testdata/models/tiny-qwen2-q8_0.gguf). Without any,
# the unit tests still run and the end-to-end test is skipped with a message.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
bin=${1:-$repo/bin/llmls}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
file=${LLMLS_TEST_FILE:-$repo/testdata/demo/stack.go}
nvim=${NVIM:-nvim}

if ! command -v "$nvim" >/dev/null 2>&1; then
	echo "skip: no nvim on PATH (apt-get install neovim)"
	exit 0
fi
echo "nvim: $("$nvim" --version | head -1)"

run() { # run NAME LUA: one headless Neovim; its exit status is the test's
	name=$1
	shift
	echo "== $name"
	timeout 90 "$nvim" --headless -n -i NONE -u "$here/minimal_init.lua" -c "$1" </dev/null
}

status=0
run unit "lua require('llmls_test.unit').run()" || status=1

if [ ! -x "$bin" ]; then
	echo "FAIL: $bin is not an executable (make build)"
	exit 1
fi
model=${LLMLS_TEST_MODEL:-}
if [ -z "$model" ]; then
	# A binary without an embedded model says so at once: "no model: ...".
	if ! out=$(cd "$repo" && timeout 60 "$bin" complete --max-tokens 1 testdata/demo/stack.go:31:2 2>&1) && echo "$out" | grep -q "no model"; then
		shared=$repo/../shared/testdata/models/tiny-qwen2-q8_0.gguf
		if [ -f "$shared" ]; then
			model=$(cd "$(dirname "$shared")" && pwd)/$(basename "$shared")
		else
			echo "skip: end-to-end test: $bin has no embedded model and neither LLMLS_TEST_MODEL nor $shared is there"
			exit $status
		fi
	fi
fi
echo "model: ${model:-embedded}"
export LLMLS_BIN=$bin LLMLS_TEST_MODEL=$model LLMLS_TEST_FILE=$file
run e2e "lua require('llmls_test.e2e').run()" || status=1
run bad-model "lua require('llmls_test.bad_model').run()" 2>/dev/null || status=1
exit $status
