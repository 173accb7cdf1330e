#!/usr/bin/env bash
# device-check.sh: the CUDA checks of issue 12, for a machine with an NVIDIA GPU, the CUDA toolkit
# (nvcc, ptxas) and PyTorch but no Go. Build the binaries first where Go is (`make
# device-check-build` writes bin/cuda.test and bin/bench-cuda), carry the working tree with bin/,
# and run this from the repository root:
#
#	OUT=/some/dir scripts/device-check.sh   # results under $OUT (default /tmp/llmls-device-check)
#
# Stages (each bounded by a timeout, 8 minutes in all at most; a failing stage does not stop the
# next ones, the exit status is the number of failed stages):
#   1. the GPU, driver and toolkit versions;
#   2. ptxas on the committed kernels/cuda/kernels.ptx (clang's, sm_80) for sm_90, and nvcc
#      compiling kernels/cuda/kernels.cu to PTX for sm_90 (written to $OUT/kernels.nvcc.ptx);
#   3. the parity tests (every kernel vs kernels/cpu, and a 2-layer forward pass) on the embedded
#      PTX, then again on nvcc's PTX ($LLMLS_CUDA_PTX);
#   4. compute-sanitizer memcheck on the parity tests (out-of-bounds accesses, races not checked);
#   5. bench-cuda: Qwen2.5-Coder-1.5B shapes in Q8_0 (GEMV GB/s, decode tokens/s and roofline
#      fraction, prompt tokens/s, one-line completion latency with a 2k context);
#   6. scripts/torch_bench.py: PyTorch fp16 on the same shapes.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/llmls-device-check}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
ROOT=$(pwd)
fails=0

stage() { # stage NAME SECONDS CMD...: runs CMD with a timeout, output to the terminal and $OUT/NAME.txt
	local name=$1 secs=$2
	shift 2
	echo "=== $name (timeout ${secs}s): $*"
	local t0=$SECONDS
	timeout "$secs" "$@" 2>&1 | tee "$OUT/$name.txt"
	local rc=${PIPESTATUS[0]}
	echo "=== $name: exit $rc after $((SECONDS - t0))s"
	[ "$rc" -eq 0 ] || fails=$((fails + 1))
}

for f in bin/cuda.test bin/bench-cuda; do
	if [ ! -x "$f" ]; then
		echo "device-check: $f missing: run 'make device-check-build' where Go is installed and carry bin/" >&2
		exit 100
	fi
done

stage versions 20 bash -c 'nvidia-smi; nvcc --version || true; ls -l /usr/lib/x86_64-linux-gnu/libcuda.so.1 2>/dev/null || true; ldd bin/cuda.test'
stage ptxas-clang 30 ptxas -arch=sm_90 -v kernels/cuda/kernels.ptx -o "$OUT/kernels.clang.cubin"
stage nvcc-ptx 60 bash -c "nvcc -ptx -arch=sm_90 -O3 -o '$OUT/kernels.nvcc.ptx' kernels/cuda/kernels.cu && ptxas -arch=sm_90 -v '$OUT/kernels.nvcc.ptx' -o '$OUT/kernels.nvcc.cubin'"

# The tests read kernels.ptx and testdata/ relative to their package folder.
cd "$ROOT/kernels/cuda"
export LLMLS_CUDA_REQUIRE=1 # a missing device fails the parity tests instead of skipping them
stage parity-clang-ptx 90 "$ROOT/bin/cuda.test" -test.v -test.count=1 -test.skip TestEmulatedKernels
if [ -s "$OUT/kernels.nvcc.ptx" ]; then
	stage parity-nvcc-ptx 40 env LLMLS_CUDA_PTX="$OUT/kernels.nvcc.ptx" "$ROOT/bin/cuda.test" -test.v -test.count=1 -test.run 'Parity'
fi
if command -v compute-sanitizer >/dev/null; then
	stage memcheck 60 compute-sanitizer --tool memcheck --error-exitcode 1 "$ROOT/bin/cuda.test" -test.count=1 -test.run 'MatMulParity|OpsParity|AttentionParity'
fi
cd "$ROOT"

stage bench 120 bin/bench-cuda -device cuda -prompt 2048 -batch 512 -gen 16 -tail 8 -decode 32 -hbm 4.8e12
stage torch 60 python3 scripts/torch_bench.py --ctx 2048 --hbm 4.8e12

echo "device-check: $fails stage(s) failed; outputs in $OUT"
exit "$fails"
