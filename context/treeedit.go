package codectx

/*
#include <stdint.h>
#include <stdlib.h>

// Layout of TSInputEdit and TSPoint in tree-sitter's api.h (the core vendored by
// smacker/go-tree-sitter): three uint32 byte offsets, then three {row, column} points.
typedef struct TSTree TSTree;
typedef struct { uint32_t row; uint32_t column; } codectx_point;
typedef struct {
	uint32_t start_byte;
	uint32_t old_end_byte;
	uint32_t new_end_byte;
	codectx_point start_point;
	codectx_point old_end_point;
	codectx_point new_end_point;
} codectx_input_edit;

void ts_tree_edit(TSTree *self, const codectx_input_edit *edit);

static void codectx_tree_edit(void *tree, codectx_input_edit e) {
	ts_tree_edit((TSTree *)tree, &e);
}

// TSRange as in api.h.
typedef struct {
	codectx_point start_point;
	codectx_point end_point;
	uint32_t start_byte;
	uint32_t end_byte;
} codectx_range;

codectx_range *ts_tree_get_changed_ranges(const TSTree *old_tree, const TSTree *new_tree, uint32_t *length);

// The array is allocated with tree-sitter's allocator, malloc unless ts_set_allocator was
// called (the binding never calls it); the caller frees it.
static codectx_range *codectx_changed_ranges(void *old_tree, void *new_tree, uint32_t *length) {
	return ts_tree_get_changed_ranges((const TSTree *)old_tree, (const TSTree *)new_tree, length);
}

typedef struct TSQueryCursor TSQueryCursor;
void ts_query_cursor_set_max_start_depth(TSQueryCursor *self, uint32_t max_start_depth);

static void codectx_set_max_start_depth(void *cursor, uint32_t depth) {
	ts_query_cursor_set_max_start_depth((TSQueryCursor *)cursor, depth);
}
*/
import "C"

import (
	"reflect"
	"runtime"
	"strings"
	"unsafe"

	sitter "github.com/smacker/go-tree-sitter"
)

// Why a cgo shim: the binding's Tree.Edit (bindings.go, EditInput.c) fills new_end_point
// from OldEndPoint, so every edit that changes the row or column of its end would leave
// wrong positions in the edited tree. We call ts_tree_edit ourselves with all six fields.
//
// rawEditOK records that sitter.BaseTree still starts with the *C.TSTree field we read; if a
// binding update ever changes that, we fall back to the binding's Tree.Edit (correct bytes,
// and tree-sitter re-lexes the changed region) rather than read a wrong pointer.
var rawEditOK = func() bool {
	t := reflect.TypeOf(sitter.BaseTree{})
	if t.NumField() == 0 {
		return false
	}
	f := t.Field(0)
	return f.Offset == 0 && f.Type.Kind() == reflect.Pointer && strings.Contains(f.Type.Elem().Name(), "TSTree")
}()

// rawCursorOK records that sitter.QueryCursor still starts with its *C.TSQueryCursor, for
// setMaxStartDepth (the binding does not expose ts_query_cursor_set_max_start_depth).
var rawCursorOK = func() bool {
	t := reflect.TypeOf(sitter.QueryCursor{})
	if t.NumField() == 0 {
		return false
	}
	f := t.Field(0)
	return f.Offset == 0 && f.Type.Kind() == reflect.Pointer && strings.Contains(f.Type.Elem().Name(), "TSQueryCursor")
}()

// setMaxStartDepth limits qc to patterns whose root is at most depth levels below the node
// it runs on. Without the shim it does nothing, and callers filter the matches.
func setMaxStartDepth(qc *sitter.QueryCursor, depth uint32) {
	if !rawCursorOK {
		return
	}
	ptr := *(*unsafe.Pointer)(unsafe.Pointer(qc))
	C.codectx_set_max_start_depth(ptr, C.uint32_t(depth))
	runtime.KeepAlive(qc)
}

// inputEdit is one edit in tree-sitter's terms: byte offsets and byte-column points of the
// start, of the old end (before the edit) and of the new end (after it).
type inputEdit struct {
	startByte, oldEndByte, newEndByte    uint32
	startPoint, oldEndPoint, newEndPoint sitter.Point
}

// editTree applies e to t (ts_tree_edit). t must be a tree no snapshot shares: an edited
// tree's positions describe the new text.
func editTree(t *sitter.Tree, e inputEdit) {
	if !rawEditOK {
		t.Edit(sitter.EditInput{
			StartIndex: e.startByte, OldEndIndex: e.oldEndByte, NewEndIndex: e.newEndByte,
			StartPoint: e.startPoint, OldEndPoint: e.oldEndPoint, NewEndPoint: e.newEndPoint,
		})
		return
	}
	ce := C.codectx_input_edit{
		start_byte:    C.uint32_t(e.startByte),
		old_end_byte:  C.uint32_t(e.oldEndByte),
		new_end_byte:  C.uint32_t(e.newEndByte),
		start_point:   cPoint(e.startPoint),
		old_end_point: cPoint(e.oldEndPoint),
		new_end_point: cPoint(e.newEndPoint),
	}
	C.codectx_tree_edit(treePtr(t), ce)
	runtime.KeepAlive(t)
}

// treePtr returns the TSTree* of t (the first field of sitter.BaseTree; see rawEditOK).
// The caller keeps t alive while C uses the pointer.
func treePtr(t *sitter.Tree) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(t.BaseTree))
}

func cPoint(p sitter.Point) C.codectx_point {
	return C.codectx_point{row: C.uint32_t(p.Row), column: C.uint32_t(p.Column)}
}

// changedRange returns the span [start, end) in bytes of new's text that covers every range
// whose syntactic structure differs between old (already edited to match new's text) and
// new (ts_tree_get_changed_ranges), and false when nothing changed.
func changedRange(old, new *sitter.Tree) (start, end int, changed bool) {
	var n C.uint32_t
	r := C.codectx_changed_ranges(treePtr(old), treePtr(new), &n)
	runtime.KeepAlive(old)
	runtime.KeepAlive(new)
	if r == nil {
		return 0, 0, false
	}
	defer C.free(unsafe.Pointer(r))
	ranges := unsafe.Slice(r, int(n))
	if len(ranges) == 0 {
		return 0, 0, false
	}
	start, end = int(ranges[0].start_byte), int(ranges[0].end_byte)
	for _, x := range ranges[1:] {
		start = min(start, int(x.start_byte))
		end = max(end, int(x.end_byte))
	}
	return start, end, true
}
