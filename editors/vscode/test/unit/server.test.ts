// The extension's logic against a real `llmls --stdio` (outside VS Code, over vscode-jsonrpc,
// the transport vscode-languageclient uses): settings from buildServerSettings as
// initializationOptions, inline completion requests built with inlineCompletionParams after
// incremental changes, the items applied with applyItem, the accept command, settings
// changes with progress reports driving the StatusModel, and a model that fails to load.
//
// LLMLS_BIN: the binary (default ../../bin/llmls from editors/vscode). LLMLS_TEST_MODEL: a GGUF
// model; unset: the binary's embedded model, else the shared tiny test model; without any the
// tests are skipped.
import { strict as assert } from "node:assert";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import * as logic from "../../src/logic";

const extRoot = path.resolve(__dirname, "..", "..", "..");
const repo = path.resolve(extRoot, "..", "..");
const bin = path.resolve(process.env.LLMLS_BIN || path.join(repo, "bin", "llmls"));
const file = path.join(repo, "testdata", "demo", "stack.go");
const uri = "file://" + file;

/** The model for the tests: "" for the embedded one, undefined when none is available. */
function testModel(): { model?: string; skip?: string } {
  if (!fs.existsSync(bin)) {
    return { skip: `no server binary at ${bin} (make build)` };
  }
  if (process.env.LLMLS_TEST_MODEL) {
    return { model: process.env.LLMLS_TEST_MODEL };
  }
  const r = spawnSync(bin, ["complete", "--max-tokens", "1", "testdata/demo/stack.go:31:2"], { cwd: repo, encoding: "utf8", timeout: 60000 });
  if (r.status === 0) {
    return { model: "" };
  }
  const shared = path.resolve(repo, "..", "shared", "testdata", "models", "tiny-qwen2-q8_0.gguf");
  if (fs.existsSync(shared)) {
    return { model: shared };
  }
  return { skip: `${bin} has no embedded model and neither LLMLS_TEST_MODEL nor ${shared} is there` };
}

const { model, skip } = testModel();

describe("llmls --stdio", { skip }, () => {
  let proc: ChildProcess;
  let conn: MessageConnection;
  const shown: { type: number; message: string }[] = [];
  const logs: string[] = [];
  const stderr: string[] = [];
  const status = new logic.StatusModel();
  let text = fs.readFileSync(file, "utf8");
  let version = 1;

  const settings = logic.buildServerSettings({ model: model || "", maxTokens: 24, threads: null, lora: [] });

  before(async () => {
    proc = spawn(bin, ["--stdio"], { stdio: ["pipe", "pipe", "pipe"] });
    proc.stderr!.on("data", (d: Buffer) => stderr.push(d.toString())); // the server's log
    conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    conn.onNotification("window/showMessage", (p: { type: number; message: string }) => shown.push(p));
    conn.onNotification("window/logMessage", (p: { message: string }) => logs.push(p.message));
    conn.onRequest("window/workDoneProgress/create", () => null);
    conn.onNotification("$/progress", (p: { value: { kind: string; message?: string; title?: string } }) => {
      if (p.value.kind === "begin") {
        status.progressBegin(p.value.message ?? p.value.title ?? "");
      } else if (p.value.kind === "end") {
        status.progressEnd(p.value.message);
      }
    });
    conn.listen();
    status.starting();
    const init = await conn.sendRequest<{ capabilities: Record<string, any>; serverInfo: { name: string } }>("initialize", {
      processId: process.pid,
      rootUri: "file://" + repo,
      capabilities: { window: { workDoneProgress: true } },
      initializationOptions: settings,
      clientInfo: { name: "llmls-vscode-test" },
    });
    status.running();
    assert.equal(init.serverInfo.name, "llmls");
    assert.equal(init.capabilities.positionEncoding, "utf-16");
    assert.ok(init.capabilities.inlineCompletionProvider, "inlineCompletionProvider");
    assert.ok(init.capabilities.executeCommandProvider.commands.includes("llmls.accept"));
    assert.equal(init.capabilities.textDocumentSync.change, 2, "incremental sync");
    await conn.sendNotification("initialized", {});
    await conn.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "go", version, text } });
  });

  after(async () => {
    if (conn) {
      await conn.sendRequest("shutdown");
      await conn.sendNotification("exit");
      conn.dispose();
    }
    proc?.kill();
  });

  /** Inserts s at pos as VS Code's incremental didChange does. */
  async function type(pos: logic.Position, s: string): Promise<logic.Position> {
    const off = logic.offsetAt(text, pos);
    text = text.slice(0, off) + s + text.slice(off);
    version++;
    await conn.sendNotification("textDocument/didChange", {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: pos, end: pos }, text: s }],
    });
    const lines = s.split("\n");
    return lines.length === 1
      ? { line: pos.line, character: pos.character + s.length }
      : { line: pos.line + lines.length - 1, character: lines[lines.length - 1].length };
  }

  async function complete(pos: logic.Position, trigger: logic.LspTriggerKind): Promise<logic.InlineCompletionItem[]> {
    status.requestStarted();
    const t0 = Date.now();
    const r = await conn.sendRequest<logic.InlineCompletionResult>(logic.INLINE_COMPLETION, logic.inlineCompletionParams(uri, pos, trigger));
    status.requestEnded(Date.now() - t0);
    return logic.itemsOf(r);
  }

  let cursor: logic.Position;
  let first: logic.InlineCompletionItem;

  it("completes after typing, with items the editor can show and apply", async () => {
    // Line 31 (index 30) is the empty body of Len().
    cursor = await type({ line: 30, character: 0 }, "\treturn");
    const items = await complete(cursor, 2);
    assert.ok(items.length > 0, "at least one item");
    first = items[0];
    assert.equal(first.command?.command, "llmls.accept");
    assert.equal(first.command?.arguments?.length, 1);
    if (first.range) {
      assert.equal(first.range.start.line, 30);
      assert.equal(first.range.end.line, 30);
      assert.ok(first.range.start.character <= cursor.character && cursor.character <= first.range.end.character);
    }
    const ghost = logic.ghostText(text, first, cursor);
    assert.notEqual(ghost, null, "the item begins with the text it replaces");
    const applied = logic.applyItem(text, first, cursor);
    const insert = logic.insertTextOf(first);
    // Independent check: the new text is the old with the item's range replaced.
    const start = first.range ? text.split("\n").slice(0, 30).join("\n").length + 1 + first.range.start.character : logic.offsetAt(text, cursor);
    assert.equal(applied.text.slice(start, start + insert.length), insert);
    assert.equal(applied.text.slice(0, start), text.slice(0, start));
    assert.equal(applied.cursor, start + insert.length);
    assert.equal(status.status, "ready");
    assert.ok((status.lastMs ?? -1) >= 0);
  });

  it("accepts through workspace/executeCommand", async () => {
    assert.equal(await conn.sendRequest("workspace/executeCommand", { command: first.command!.command, arguments: first.command!.arguments }), null);
  });

  it("rejects an unknown command with InvalidParams", async () => {
    await assert.rejects(conn.sendRequest("workspace/executeCommand", { command: "llmls.nope", arguments: [] }), (e: { code: number }) => e.code === -32602);
  });

  it("answers an invoked request", async () => {
    const items = await complete(cursor, 1);
    assert.ok(items.length >= 1);
    for (const it of items) {
      assert.notEqual(logic.ghostText(text, it, cursor), null);
    }
  });

  it("reports a model that fails to load and keeps the old one", async () => {
    const bad = path.join(repo, "testdata", "no-such-model.gguf");
    await conn.sendNotification("workspace/didChangeConfiguration", { settings: { llmls: logic.buildServerSettings({ ...settings, model: bad }) } });
    await waitFor(() => shown.some((m) => m.type === 1 && m.message.includes("no-such-model.gguf")), 10000, "an error message naming the file");
    const items = await complete(cursor, 2);
    assert.ok(items.length > 0, "completions from the model still loaded");
  });

  const other = path.resolve(repo, "..", "shared", "testdata", "models", "tiny-llama-q8_0.gguf");
  it("loads the model a settings change names", { skip: fs.existsSync(other) ? undefined : `no ${other}` }, async () => {
    await conn.sendNotification("workspace/didChangeConfiguration", { settings: logic.buildServerSettings({ ...settings, model: other }) });
    // A request waits for the settings change to apply.
    assert.ok(Array.isArray(await complete(cursor, 2)));
    await waitFor(() => /model loaded.*tiny-llama-q8_0\.gguf/.test(stderr.join("")), 10000, "the load in the server's log");
    assert.notEqual(status.status, "loading", "every progress report that began has ended");
    await conn.sendNotification("workspace/didChangeConfiguration", { settings });
    assert.ok((await complete(cursor, 2)).length > 0, "completions from the first model again");
  });

  it("counts the accept in the engine's statistics", async () => {
    let before: { accepted: number } | null;
    try {
      before = await conn.sendRequest<{ accepted: number } | null>("llmls/stats");
    } catch (e) {
      assert.equal((e as { code: number }).code, -32601, "only a server without llmls/stats may refuse it");
      return; // an older server
    }
    assert.ok(before, "stats");
    const items = await complete(cursor, 2);
    assert.ok(items[0]?.command);
    await conn.sendRequest("workspace/executeCommand", { command: items[0].command!.command, arguments: items[0].command!.arguments });
    const now = await conn.sendRequest<{ accepted: number }>("llmls/stats");
    assert.equal(now.accepted, before.accepted + 1);
  });
});

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
