//go:build cuda

package main

import (
	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cuda"
)

func newCUDA() (kernels.Backend, error) { return cuda.New(0) }
