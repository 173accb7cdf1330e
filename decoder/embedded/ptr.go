package embedded

import "unsafe"

// uintptrOf returns the address of b's first byte (b must not be empty).
func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
