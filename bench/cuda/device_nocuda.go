//go:build !cuda

package main

import (
	"errors"

	"github.com/llmls/llmls/kernels"
)

func newCUDA() (kernels.Backend, error) {
	return nil, errors.New("-device cuda: bench-cuda was built without the cuda build tag (go build -tags cuda ./bench/cuda)")
}
