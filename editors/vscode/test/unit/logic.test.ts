// Tests of src/logic.ts's pure functions; expected values are worked out by hand.
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as logic from "../../src/logic";

describe("buildServerSettings", () => {
  const cases: { name: string; values: Record<string, unknown>; folders?: logic.FolderLoRA[]; want: logic.ServerSettings }[] = [
    { name: "unset values are left out", values: { model: "", maxTokens: null, lora: [], debounceMs: undefined, backend: "" }, want: {} },
    {
      name: "set values pass, unknown keys do not",
      values: { model: "/m.gguf", maxTokens: 32, debounceMs: 0, lookup: false, path: "/bin/llmls", trace: "off" },
      want: { model: "/m.gguf", maxTokens: 32, debounceMs: 0, lookup: false },
    },
    { name: "negative numbers are unset", values: { threads: -1 }, want: {} },
    {
      name: "a folder's adapters apply to that folder",
      values: { lora: [{ path: "/global" }] },
      folders: [
        { folder: "/ws/a", lora: [{ path: "/a1", scale: 0.5 }, { path: "/a2", folders: ["/elsewhere"] }] },
        { folder: "/ws/b", lora: [{ path: "" }] },
      ],
      want: {
        lora: [{ path: "/global" }, { path: "/a1", scale: 0.5, folders: ["/ws/a"] }, { path: "/a2", folders: ["/elsewhere"] }],
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(logic.buildServerSettings(c.values, c.folders), c.want));
  }
});

describe("trigger kinds", () => {
  it("maps VS Code's Invoke (0) to LSP Invoked (1)", () => assert.equal(logic.lspTriggerKind(0), 1));
  it("maps VS Code's Automatic (1) to LSP Automatic (2)", () => assert.equal(logic.lspTriggerKind(1), 2));
});

describe("offsetAt", () => {
  const text = "ab\r\ncé\n😀x";
  const cases: [string, logic.Position, number][] = [
    ["start", { line: 0, character: 0 }, 0],
    ["before CR", { line: 0, character: 2 }, 2],
    ["past the end of a CRLF line stops before CR", { line: 0, character: 9 }, 2],
    ["second line", { line: 1, character: 2 }, 6],
    ["after the surrogate pair", { line: 2, character: 2 }, 9],
    ["past the last line", { line: 7, character: 0 }, text.length],
  ];
  for (const [name, pos, want] of cases) {
    it(name, () => assert.equal(logic.offsetAt(text, pos), want));
  }
});

describe("applyItem and ghostText", () => {
  const text = "x := re\nnext";
  const cursor = { line: 0, character: 7 };
  const range = { start: { line: 0, character: 5 }, end: { line: 0, character: 7 } };
  it("replaces the range", () => {
    assert.deepEqual(logic.applyItem(text, { insertText: "return 1\n", range }, cursor), {
      text: "x := return 1\n\nnext",
      cursor: 14,
    });
  });
  it("inserts at the cursor without a range", () => {
    assert.deepEqual(logic.applyItem(text, { insertText: "ad" }, cursor).text, "x := read\nnext");
  });
  it("shows the text after what was typed", () => assert.equal(logic.ghostText(text, { insertText: "return 1", range }, cursor), "turn 1"));
  it("shows nothing for an item that does not begin with the typed text", () =>
    assert.equal(logic.ghostText(text, { insertText: "x", range }, cursor), null));
  it("reads snippets", () => assert.equal(logic.insertTextOf({ insertText: { kind: "snippet", value: "f($1)" } }), "f($1)"));
  it("reads lists and arrays", () => {
    assert.equal(logic.itemsOf({ items: [{ insertText: "a" }] }).length, 1);
    assert.equal(logic.itemsOf([{ insertText: "a" }, { insertText: "b" }]).length, 2);
    assert.equal(logic.itemsOf(null).length, 0);
  });
});

describe("StatusModel", () => {
  it("walks through a session", () => {
    const s = new logic.StatusModel();
    assert.equal(s.status, "stopped");
    s.starting();
    assert.equal(s.status, "starting");
    assert.match(s.view().text, /loading~spin/);
    s.running();
    assert.equal(s.status, "ready");
    s.requestStarted();
    assert.equal(s.status, "busy");
    s.requestEnded(42);
    assert.equal(s.status, "ready");
    assert.match(s.view().tooltip, /42 ms/);
    s.progressBegin("applying settings (loading the model)");
    assert.equal(s.status, "loading");
    s.progressEnd("failed: no such file");
    assert.equal(s.status, "ready");
    assert.match(s.view().tooltip, /failed: no such file/);
    s.enabled = false;
    assert.equal(s.status, "disabled");
    s.failed("exited");
    assert.equal(s.status, "error");
    assert.equal(s.view().error, true);
  });
});
