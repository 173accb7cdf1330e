package cuda

// kernelSig is the name and parameter kinds of a kernel in kernels.ptx: "p" a device pointer
// (.u64), "i" an int (.u32), "f" a float (.f32). It is the single statement of the host–kernel
// ABI: Device checks each launch against it, and TestPTXSignatures checks it against the PTX,
// so a kernel whose parameters change without the host code fails a test that needs no GPU.
type kernelSig struct {
	Name   string
	Params string
}

// kernelSigs lists every kernel the host launches, by name.
var kernelSigs = map[string]kernelSig{}

func init() {
	for _, k := range []kernelSig{
		{"gemv_q8_0", "pppiii"},       // W, x, y, rows, cols, ntok
		{"gemv_f16", "pppiii"},        // W, x, y, rows, cols, ntok
		{"gemv_q4_k", "pppiii"},       // W, x, y, rows, cols, ntok
		{"gemv_q6_k", "pppiii"},       // W, x, y, rows, cols, ntok
		{"rms_norm", "pppif"},         // dst, x, w, width, eps
		{"add", "pppi"},               // dst, a, b, n
		{"add_bias", "ppii"},          // x, bias, n, width
		{"silu_mul", "pppi"},          // dst, gate, up, n
		{"rope", "pppiiiii"},          // x, cos, sin, ntok, nheads, headdim, nrot, neox
		{"kv_store_f16", "ppppiiiii"}, // kc, vc, k, v, ntok, hkv, hd, cap, pos
		{"kv_store_f32", "ppppiiiii"},
		{"attn_split_f16", "pppppiiiiiif"}, // q, kc, vc, part_o, part_ml, nhead, hkv, hd, cap, pos0, nsplit, scale
		{"attn_split_f32", "pppppiiiiiif"},
		{"attn_reduce", "pppiii"}, // part_o, part_ml, out, nhead, hd, nsplit
	} {
		kernelSigs[k.Name] = k
	}
}
