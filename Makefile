# llmls — see README.md. Every target works on a fresh clone (Go 1.26; Debian packages and npm
# peers are installed by .ci/run, or by `make deps`).

GO      ?= go
PYTHON  ?= /usr/bin/python3
BIN     := bin/llmls
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

SESSION ?= ../shared/testdata/sessions/go-client.json

.PHONY: all build test test-go test-train test-nvim bench lint demo deps peers fuzz clean embed

all: build

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/llmls

# The test command of the README and of CI.
test: build test-go test-train test-nvim

test-go:
	$(GO) test -count=1 ./...

# The training pipeline's tests (data preparation, a few steps of training, export); they skip
# what needs python3-torch / numpy / node peers when those are absent.
test-train:
	@if [ -x $(PYTHON) ]; then $(PYTHON) -m unittest discover -s train/tests; else echo "skip: no $(PYTHON)"; fi

# The Neovim plugin, tested in the real editor (Debian's neovim, headless).
test-nvim: build
	@if command -v nvim >/dev/null && [ -f editors/nvim/tests/run.sh ]; then editors/nvim/tests/run.sh $(BIN); else echo "skip: no nvim or no plugin tests"; fi

# Benchmarks: each prints our figure, the anchor measured in the same run, and the ratio.
bench: build peers
	$(GO) run ./bench/decode
	$(GO) run ./tokenizer/internal/benchcmp
	$(GO) test -run XXX -bench . -benchtime 20x ./context/
	CODECTX_LATENCY=1 $(GO) test -count=1 -run TestKeystrokeLatency -v ./context/ | grep codectx:
	$(GO) run ./bench/speculative
	$(GO) test -run XXX -bench LoRA -benchtime 20x ./decoder/
	@if [ -f $(SESSION) ]; then \
		$(BIN) bench --replay $(SESSION); \
		$(BIN) bench --replay $(SESSION) --model .cache/bench/qwen2.5-coder-0.5b-shape-q8_0.gguf; \
	else echo "skip replay: no $(SESSION)"; fi

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags cuda ./kernels/... ./bench/cuda
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# The main job: a real completion for a real file with the embedded model.
demo: build
	$(BIN) complete testdata/demo/stack.go:31:1

# Short fuzzing of every parser of untrusted bytes.
fuzz:
	$(GO) test -run XXX -fuzz FuzzParse -fuzztime 30s ./decoder/gguf
	$(GO) test -run XXX -fuzz FuzzFromGGUF$$ -fuzztime 30s ./tokenizer
	$(GO) test -run XXX -fuzz FuzzFromHuggingFace -fuzztime 30s ./tokenizer
	$(GO) test -run XXX -fuzz FuzzRoundTrip -fuzztime 30s ./tokenizer
	$(GO) test -run XXX -fuzz FuzzStream$$ -fuzztime 30s ./lsp
	$(GO) test -run XXX -fuzz FuzzMapper -fuzztime 30s ./lsp

# Peers measured side by side in benchmarks and tests (llama.cpp's CPU build via
# node-llama-cpp, Hugging Face tokenizers).
peers:
	@if [ ! -d tools/peers/node_modules ]; then cd tools/peers && npm ci --no-audit --no-fund; fi

# Debian packages the tests use (run as root).
deps:
	apt-get update
	apt-get install -y --no-install-recommends python3-torch python3-numpy python3-regex libopenblas0-pthread neovim

clean:
	rm -rf bin

# Copy the training pipeline's finished Q8_0 models into the binary (decoder/embedded).
embed:
	cp train/out/base-q8_0.gguf decoder/embedded/base.gguf
	@if [ -f train/out/draft-q8_0.gguf ]; then cp train/out/draft-q8_0.gguf decoder/embedded/draft.gguf; fi
	$(GO) build ./decoder/embedded

.PHONY: vscode test-vscode

# The VS Code extension: its unit tests (against bin/llmls --stdio) and the .vsix
# (editors/vscode/llmls.vsix). Installs its npm packages (package-lock.json) on first use.
vscode: build
	cd editors/vscode && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && LLMLS_BIN=$(CURDIR)/$(BIN) npm test && npm run package

# The VS Code extension in a real VS Code (code-server in headless Chromium); writes
# docs/vscode-ghost-text.png. Not part of `make test`: its first run downloads about 800 MB
# (Node 24, code-server, playwright-core) into $TMPDIR/llmls-vscode-e2e and apt-installs chromium.
test-vscode: build
	editors/vscode/test/e2e/run.sh $(BIN)

.PHONY: ptx device-check-build

# kernels/cuda/kernels.ptx (committed, embedded by the cuda build tag) from the CUDA C sources:
# nvcc for sm_90 where the CUDA toolkit is installed, else clang's NVPTX back end (Debian's
# clang-14 knows GPUs up to sm_86, so it targets sm_80; the driver JIT-compiles that PTX for
# sm_90) with kernels/cuda/cuda_min.h in place of the toolkit's headers.
CUDA_ARCH  ?= sm_90
CLANG_ARCH ?= sm_80
NVCC       ?= $(shell command -v nvcc 2>/dev/null)
CLANG_CUDA ?= $(shell command -v clang-14 2>/dev/null || command -v clang 2>/dev/null)
ptx:
	@if [ -n "$(NVCC)" ]; then \
		echo "$(NVCC) -ptx -arch=$(CUDA_ARCH)"; \
		$(NVCC) -ptx -arch=$(CUDA_ARCH) -O3 -o kernels/cuda/kernels.ptx kernels/cuda/kernels.cu; \
	elif [ -n "$(CLANG_CUDA)" ]; then \
		echo "$(CLANG_CUDA) --cuda-gpu-arch=$(CLANG_ARCH)"; \
		$(CLANG_CUDA) -x cuda --cuda-device-only -nocudainc -nocudalib --cuda-gpu-arch=$(CLANG_ARCH) -O3 -S \
			-o kernels/cuda/kernels.ptx kernels/cuda/kernels.cu; \
	else echo "make ptx: neither nvcc nor clang found (apt-get install clang-14)"; exit 1; fi
	$(GO) test -count=1 -run TestPTXSignatures ./kernels/cuda

# What scripts/device-check.sh runs on a GPU machine without Go: the cuda parity tests and the
# benchmark, built here (cgo; no CUDA needed to build), carried in bin/.
device-check-build:
	mkdir -p bin
	$(GO) test -c -tags cuda -o bin/cuda.test ./kernels/cuda
	$(GO) build -tags cuda -o bin/bench-cuda ./bench/cuda
