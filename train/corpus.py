"""The training corpus: Go's own source tree ($(go env GOROOT)/src, BSD-3-Clause).

Kept: *.go files (tests included), minus testdata/ and vendor/ trees, minus generated files
(Go's convention, https://go.dev/s/generatedcode: a line matching
`^// Code generated .* DO NOT EDIT\\.$` before the package clause), minus files that are not UTF-8.

Splits (by package directory, so evaluation files share no package with training files):
  base_train  the standard library outside cmd/ and outside BASE_EVAL
  base_eval   BASE_EVAL packages (held out from the base and draft models)
  lora_train  cmd/ (the Go toolchain: a code base the base model never saw) minus LORA_EVAL
  lora_eval   LORA_EVAL packages (held out from the LoRA)
"""

import hashlib
import os
import re

BASE_EVAL = (
    "archive/tar", "compress/bzip2", "container/heap", "container/list", "container/ring",
    "encoding/csv", "go/printer", "image/gif", "net/mail", "text/tabwriter",
)
LORA_EVAL = (
    "cmd/asm/internal/asm", "cmd/compile/internal/escape", "cmd/compile/internal/inline",
    "cmd/cover", "cmd/go/internal/modget", "cmd/gofmt", "cmd/nm", "cmd/pack", "cmd/vet",
)
SPLITS = ("base_train", "base_eval", "lora_train", "lora_eval")

_GENERATED = re.compile(r"^// Code generated .* DO NOT EDIT\.$")


def is_generated(text: str) -> bool:
    """Go's generated-file rule: the marker line appears before the first non-comment text."""
    in_block = False
    for line in text.splitlines():
        s = line.strip()
        if _GENERATED.match(line):
            return True
        if in_block:
            if "*/" in s:
                in_block = False
            continue
        if s == "" or s.startswith("//"):
            continue
        if s.startswith("/*"):
            in_block = "*/" not in s[2:]
            continue
        return False  # package clause or other code: the marker can no longer come
    return False


def split_of(rel: str) -> str:
    """Split name for a path relative to GOROOT/src, e.g. 'net/mail/message.go' -> 'base_eval'."""
    pkg = os.path.dirname(rel).replace(os.sep, "/")
    if pkg == "cmd" or pkg.startswith("cmd/"):
        return "lora_eval" if pkg in LORA_EVAL else "lora_train"
    return "base_eval" if pkg in BASE_EVAL else "base_train"


def collect(root: str, skipped: dict = None):
    """List kept Go files under root: [(relpath, text)], sorted by relpath.

    skipped (optional) counts the reasons files were dropped: generated, not_utf8.
    """
    out = []
    if skipped is None:
        skipped = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in ("testdata", "vendor") and not d.startswith((".", "_")))
        for fn in sorted(filenames):
            if not fn.endswith(".go"):
                continue
            path = os.path.join(dirpath, fn)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, "rb") as f:
                raw = f.read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                skipped["not_utf8"] = skipped.get("not_utf8", 0) + 1
                continue
            if is_generated(text):
                skipped["generated"] = skipped.get("generated", 0) + 1
                continue
            out.append((rel, text))
    out.sort()
    return out


def split_corpus(files):
    """{split: [(relpath, text)]} for the kept files."""
    splits = {s: [] for s in SPLITS}
    for rel, text in files:
        splits[split_of(rel)].append((rel, text))
    return splits


def digest(files) -> str:
    """sha256 over relpaths and contents: identifies the exact corpus in the manifest."""
    h = hashlib.sha256()
    for rel, text in files:
        h.update(rel.encode())
        h.update(b"\0")
        h.update(text.encode())
        h.update(b"\0")
    return h.hexdigest()
