package decoder

// DebugHook receives the named intermediates of a forward pass, so any of them can be dumped
// and compared with llama.cpp's (whose graph callback cb(cur, name, il) uses the same names;
// see the package doc). It is called synchronously from the forward pass, right after the
// tensor is computed and before anything consumes it; t.Data is only valid during the call.
// A hook may change t.Data in place, and the pass goes on with the changed values (tests
// inject perturbations this way). It runs while the model's forward pass lock is held, so it
// must not call the Session or Model.
type DebugHook func(t DebugTensor)

// DebugTensor is one intermediate of a micro-batch.
type DebugTensor struct {
	Name  string    // llama.cpp's name: "attn_norm", "Qcur", "kqv_out", "l_out", …
	Layer int       // block index, or -1 outside the blocks
	Pos0  int       // position of the micro-batch's first token
	Rows  int       // tokens (rows whose logits are wanted, after the last layer's gather)
	Cols  int       // elements per row
	Data  []float32 // [Rows, Cols] row-major
}

// debug passes the first n rows of buffer x (whose rows hold width elements) to the hook.
func (s *Session) debug(name string, layer, pos0 int, x []float32, n, width int) {
	if s.debugHook == nil {
		return
	}
	s.debugHook(DebugTensor{Name: name, Layer: layer, Pos0: pos0, Rows: n, Cols: width, Data: x[:n*width]})
}
