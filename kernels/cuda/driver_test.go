//go:build cuda

package cuda

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmls/llmls/kernels"
)

// TestOpenMissingLibrary checks the error where there is no NVIDIA driver (the library name is
// one that cannot exist, so the test means the same on every machine).
func TestOpenMissingLibrary(t *testing.T) {
	_, err := open("libcuda-llmls-absent.so.1", 0)
	if err == nil {
		t.Fatal("open of a missing library succeeded")
	}
	if want := "cuda: libcuda-llmls-absent.so.1 not found: "; !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error %q, want prefix %q", err, want)
	}
}

// TestNewWithoutDevice checks what New says on this machine when it has no driver: the error
// names libcuda.so.1. With a driver it must succeed.
func TestNewWithoutDevice(t *testing.T) {
	d, err := New(0)
	if err == nil {
		t.Logf("device present: %s", d.Name())
		if cerr := d.Close(); cerr != nil {
			t.Fatal(cerr)
		}
		return
	}
	if strings.HasPrefix(err.Error(), "cuda: libcuda.so.1 not found: ") {
		t.Skipf("no NVIDIA driver here: %v", err)
	}
	t.Fatalf("New(0) with a driver library present: %v", err)
}

func TestNegativeOrdinal(t *testing.T) {
	if _, err := New(-1); err == nil || !strings.Contains(err.Error(), "ordinal -1") {
		t.Fatalf("New(-1) = %v, want an error about the ordinal", err)
	}
}

// fakeDevice builds testdata/fakecuda.c into a shared library (a libcuda stand-in on host
// memory) and opens it, so the host path runs on machines without a GPU.
func fakeDevice(t *testing.T) (*Device, string) {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skipf("no C compiler to build the fake driver: %v", err)
	}
	dir := t.TempDir()
	lib := filepath.Join(dir, "libfakecuda.so")
	if out, err := exec.Command(cc, "-shared", "-fPIC", "-O1", "-o", lib, "testdata/fakecuda.c").CombinedOutput(); err != nil {
		t.Fatalf("building the fake driver: %v\n%s", err, out)
	}
	logPath := filepath.Join(dir, "launches.log")
	t.Setenv("LLMLS_FAKECUDA_LOG", logPath)
	d, err := open(lib, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, logPath
}

// TestFakeDriver runs the host side against the fake driver: copies both ways, a kernel that
// the fake executes (add), the arguments of the launches (names, geometry, ints and floats as
// the kernels declare them), and the error path of a failing launch.
func TestFakeDriver(t *testing.T) {
	d, logPath := fakeDevice(t)
	if got, want := d.Name(), "cuda: llmls fake GPU"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	a, _ := d.Alloc(5)
	b, _ := d.Alloc(5)
	dst, err := d.Alloc(6)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Write(a, 0, []float32{1, 2, 3, 4, 5}); err != nil {
		t.Fatal(err)
	}
	if err := d.Write(b, 1, []float32{10, 20, 30, 40}); err != nil { // b = {0, 10, 20, 30, 40}
		t.Fatal(err)
	}
	d.Add(dst, a, b, 5)
	got := make([]float32, 6)
	if err := d.Read(got, dst, 0); err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, 12, 23, 34, 45, 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Add via the fake = %v, want %v", got, want)
	}
	part := make([]float32, 2)
	if err := d.Read(part, dst, 3); err != nil || part[0] != 34 || part[1] != 45 {
		t.Errorf("Read at offset 3 = %v, %v; want [34 45]", part, err)
	}

	// Launch geometry and arguments as the kernels declare them.
	w, err := d.LoadWeights(kernels.Q8_0, 9, 64, make([]byte, 9*2*34))
	if err != nil {
		t.Fatal(err)
	}
	x, _ := d.Alloc(64 * 10)
	y, _ := d.Alloc(9 * 10)
	d.MatMul(y, w, x, 10)
	nw, _ := d.Alloc(64)
	d.RMSNorm(x, x, nw, 10, 64, 1e-6)
	kv, err := d.NewKV(kernels.KVShape{Layers: 2, HeadsKV: 2, HeadDim: 32, Cap: 600, Type: kernels.F16})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := d.Alloc(8 * 32)
	o, _ := d.Alloc(8 * 32)
	d.Attention(o, q, kv, 1, 520, 1, 8)
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"add 1 1 1 256 1 1 | p p p i:5", // ceil(5/256) = 1 block of 256
		"gemv_q8_0 3 2 1 32 4 1 | p p p i:9 i:64 i:10",
		"rms_norm 10 1 1 256 1 1 | p p p i:64 f:9.99999997e-07",
		"attn_split_f16 3 8 1 128 1 1 | p p p p p i:8 i:2 i:32 i:600 i:520 i:3 f:0.176776692",
		"attn_reduce 8 1 1 32 1 1 | p p p i:8 i:32 i:3",
	}, "\n") + "\n"
	if string(log) != want {
		t.Errorf("launch log:\n%s\nwant:\n%s", log, want)
	}

	// A failing launch: remembered, later launches skipped, reported once by Sync.
	t.Setenv("LLMLS_FAKECUDA_FAIL_LAUNCH", "1")
	d.Add(dst, a, b, 5)
	d.Add(dst, a, b, 5)
	err = d.Sync()
	var cerr *Error
	if !errors.As(err, &cerr) || cerr.Code != 719 || cerr.Call != "cuLaunchKernel add" || !strings.Contains(err.Error(), "fake launch failure") {
		t.Fatalf("Sync after a failed launch = %v, want a *Error for cuLaunchKernel add, code 719", err)
	}
	if err := d.Sync(); err != nil {
		t.Fatalf("second Sync = %v, want nil (the error is reported once)", err)
	}
}

// TestEmulatedKernels runs the parity tests (TestMatMulParity, TestOpsParity,
// TestAttentionParity, TestForwardParity) in a child process whose "GPU" is testdata/emu.cc: the
// kernels' CUDA C compiled for the host and run block by block, thread by thread. So every
// kernel's indexing and arithmetic is checked against kernels/cpu on machines without a GPU.
func TestEmulatedKernels(t *testing.T) {
	if os.Getenv("LLMLS_CUDA_LIB") != "" {
		t.Skip("already running on a substitute driver")
	}
	if testing.Short() {
		t.Skip("-short: the emulated parity tests take minutes")
	}
	cxx, err := exec.LookPath("c++")
	if err != nil {
		t.Skipf("no C++ compiler to build the emulator: %v", err)
	}
	lib := filepath.Join(t.TempDir(), "libemucuda.so")
	if out, err := exec.Command(cxx, "-std=c++17", "-O2", "-Wno-unknown-pragmas", "-DLLMLS_EMU", "-shared", "-fPIC", "-o", lib, "testdata/emu.cc").CombinedOutput(); err != nil {
		t.Fatalf("building the emulator: %v\n%s", err, out)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "Parity", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "LLMLS_CUDA_LIB="+lib, "LLMLS_CUDA_REQUIRE=1")
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "max |gpu−cpu|") || strings.HasPrefix(strings.TrimSpace(line), "--- FAIL") || strings.Contains(line, "> tol") {
			t.Log(strings.TrimSpace(line))
		}
	}
	if err != nil {
		t.Fatalf("parity tests on the emulator: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestForwardParity") {
		t.Fatalf("the parity tests did not run on the emulator:\n%s", out)
	}
}
