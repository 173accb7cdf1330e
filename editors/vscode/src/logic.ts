// The extension's logic that does not need VS Code: the mapping of `llmls.*` settings to the
// server's settings (initializationOptions, workspace/didChangeConfiguration), the
// textDocument/inlineCompletion (LSP 3.18) request and the application of its items, and the
// status bar's state. test/unit runs it against a real `llmls --stdio`.

/** One LoRA adapter, as the server's settings spell it (completion.LoRASetting). */
export interface LoRASetting {
  path: string;
  scale?: number;
  languages?: string[];
  /** Workspace folder paths or URIs where the adapter applies; empty: all. */
  folders?: string[];
}

/** The server's settings (fields of completion.Settings, JSON names). */
export interface ServerSettings {
  model?: string;
  draftModel?: string;
  lookup?: boolean;
  lora?: LoRASetting[];
  backend?: string;
  endpoint?: string;
  remoteModel?: string;
  apiKeyEnv?: string;
  fimFamily?: string;
  fimOrder?: string;
  maxTokens?: number;
  contextTokens?: number;
  debounceMs?: number;
  threads?: number;
  device?: string;
  temperature?: number;
  invokedItems?: number;
  enabled?: boolean;
}

/**
 * The `llmls.*` settings passed to the server, by name. The others (path, args, trace) only
 * concern the extension.
 */
export const SERVER_KEYS: readonly (keyof ServerSettings)[] = [
  "model",
  "draftModel",
  "lookup",
  "lora",
  "backend",
  "endpoint",
  "remoteModel",
  "apiKeyEnv",
  "fimFamily",
  "fimOrder",
  "maxTokens",
  "contextTokens",
  "debounceMs",
  "threads",
  "device",
  "temperature",
  "invokedItems",
  "enabled",
];

/** The LoRA adapters one workspace folder's settings (.vscode/settings.json) list. */
export interface FolderLoRA {
  /** The folder's path on disk. */
  folder: string;
  lora: LoRASetting[];
}

function isUnset(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v === "" ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === "number" && (Number.isNaN(v) || v < 0))
  );
}

/**
 * Builds the server's settings from the user's (global or workspace) `llmls.*` values and the
 * LoRA adapters of each workspace folder. Unset values (undefined, "", [], negative numbers)
 * are left out, so that the server's own defaults, environment and config file apply. A
 * folder's adapters apply to that folder: their `folders` is set to it unless they name
 * their own.
 */
export function buildServerSettings(values: Record<string, unknown>, folders: FolderLoRA[] = []): ServerSettings {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const v = values[key];
    if (!isUnset(v)) {
      out[key] = v;
    }
  }
  const lora: LoRASetting[] = [...((out.lora as LoRASetting[] | undefined) ?? [])];
  for (const f of folders) {
    for (const a of f.lora) {
      if (!a || typeof a.path !== "string" || a.path === "") {
        continue;
      }
      lora.push({ ...a, folders: a.folders && a.folders.length > 0 ? a.folders : [f.folder] });
    }
  }
  if (lora.length > 0) {
    out.lora = lora;
  } else {
    delete out.lora;
  }
  return out as ServerSettings;
}

/** An LSP position: line and character, 0-based, character in UTF-16 code units. */
export interface Position {
  line: number;
  character: number;
}

/** An LSP range. */
export interface Range {
  start: Position;
  end: Position;
}

/** An LSP command. */
export interface Command {
  title: string;
  command: string;
  arguments?: unknown[];
}

/** InlineCompletionItem (LSP 3.18): insertText is a string or a StringValue (snippet). */
export interface InlineCompletionItem {
  insertText: string | { kind: "snippet"; value: string };
  filterText?: string;
  range?: Range;
  command?: Command;
}

/** The answer of textDocument/inlineCompletion: a list, an array of items, or null. */
export type InlineCompletionResult = { items: InlineCompletionItem[] } | InlineCompletionItem[] | null | undefined;

/** The method name. */
export const INLINE_COMPLETION = "textDocument/inlineCompletion";

/** LSP InlineCompletionTriggerKind: Invoked = 1, Automatic = 2. */
export type LspTriggerKind = 1 | 2;

/**
 * Maps VS Code's InlineCompletionTriggerKind (Invoke = 0, Automatic = 1: the editor's own
 * numbering) to the LSP one (Invoked = 1, Automatic = 2).
 */
export function lspTriggerKind(vscodeKind: number): LspTriggerKind {
  return vscodeKind === 0 ? 1 : 2;
}

/** The params of textDocument/inlineCompletion. */
export function inlineCompletionParams(
  uri: string,
  position: Position,
  trigger: LspTriggerKind,
  selected?: { range: Range; text: string },
): Record<string, unknown> {
  const context: Record<string, unknown> = { triggerKind: trigger };
  if (selected) {
    context.selectedCompletionInfo = selected;
  }
  return { textDocument: { uri }, position, context };
}

/** The items of an answer, whatever its shape. */
export function itemsOf(result: InlineCompletionResult): InlineCompletionItem[] {
  if (!result) {
    return [];
  }
  return Array.isArray(result) ? result : (result.items ?? []);
}

/** The text an item inserts (a snippet's source for a StringValue). */
export function insertTextOf(item: InlineCompletionItem): string {
  return typeof item.insertText === "string" ? item.insertText : item.insertText.value;
}

/**
 * The UTF-16 offset of an LSP position in text (lines end at "\n"; a character past the end
 * of its line gives the line's end, a line past the end gives the text's end).
 */
export function offsetAt(text: string, pos: Position): number {
  let offset = 0;
  for (let line = 0; line < pos.line; line++) {
    const nl = text.indexOf("\n", offset);
    if (nl < 0) {
      return text.length;
    }
    offset = nl + 1;
  }
  let end = text.indexOf("\n", offset);
  if (end < 0) {
    end = text.length;
  }
  if (end > offset && text[end - 1] === "\r") {
    end--;
  }
  return Math.min(offset + pos.character, end);
}

/**
 * Applies an item to the document text as an editor does on accept: its range (the cursor
 * when it has none) is replaced by its text. Returns the new text and the cursor offset after
 * the insertion.
 */
export function applyItem(text: string, item: InlineCompletionItem, cursor: Position): { text: string; cursor: number } {
  const start = offsetAt(text, item.range ? item.range.start : cursor);
  const end = offsetAt(text, item.range ? item.range.end : cursor);
  const insert = insertTextOf(item);
  return { text: text.slice(0, start) + insert + text.slice(end), cursor: start + insert.length };
}

/**
 * The ghost text an editor shows for an item at the cursor: the item's text without the part
 * before the cursor that the range covers (text the user already typed). null when the item
 * does not begin with that text (the editor would not show it).
 */
export function ghostText(text: string, item: InlineCompletionItem, cursor: Position): string | null {
  const insert = insertTextOf(item);
  if (!item.range) {
    return insert;
  }
  const typed = text.slice(offsetAt(text, item.range.start), offsetAt(text, cursor));
  return insert.startsWith(typed) ? insert.slice(typed.length) : null;
}

/** The states the status bar shows. */
export type Status = "starting" | "ready" | "busy" | "loading" | "error" | "disabled" | "stopped";

/** What the status bar shows for a state: codicon text and a tooltip. */
export interface StatusView {
  text: string;
  tooltip: string;
  error: boolean;
}

/**
 * The status bar's model: server state, completions in flight, progress reports ($/progress
 * while a model loads) and the switch. The view is derived, so that tests check each
 * transition.
 */
export class StatusModel {
  private server: "starting" | "running" | "error" | "stopped" = "stopped";
  private inFlight = 0;
  private loading: string | undefined;
  private lastError: string | undefined;
  enabled = true;
  /** Latency of the last answered completion, ms. */
  lastMs: number | undefined;
  model: string | undefined;

  starting(): void {
    this.server = "starting";
    this.lastError = undefined;
  }
  running(): void {
    this.server = "running";
  }
  stopped(): void {
    this.server = "stopped";
    this.inFlight = 0;
    this.loading = undefined;
  }
  failed(message: string): void {
    this.server = "error";
    this.lastError = message;
    this.inFlight = 0;
    this.loading = undefined;
  }
  /** A non-fatal error the server reported (window/logMessage type Error). */
  serverError(message: string): void {
    this.lastError = message;
  }
  requestStarted(): void {
    this.inFlight++;
  }
  requestEnded(ms?: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (ms !== undefined) {
      this.lastMs = ms;
    }
  }
  progressBegin(message: string): void {
    this.loading = message;
  }
  progressEnd(message: string | undefined): void {
    this.loading = undefined;
    if (message && message.startsWith("failed")) {
      this.lastError = message;
    }
  }

  get status(): Status {
    if (this.server === "error") return "error";
    if (this.server === "stopped") return "stopped";
    if (this.server === "starting") return "starting";
    if (this.loading !== undefined) return "loading";
    if (!this.enabled) return "disabled";
    if (this.inFlight > 0) return "busy";
    return "ready";
  }

  view(): StatusView {
    const model = this.model ? `model: ${this.model}` : "model: the server's default (embedded)";
    const latency = this.lastMs !== undefined ? `\nlast completion: ${this.lastMs} ms` : "";
    const err = this.lastError ? `\nlast error: ${this.lastError}` : "";
    switch (this.status) {
      case "starting":
        return { text: "$(loading~spin) llmls", tooltip: `llmls: starting (loading the model)\n${model}`, error: false };
      case "loading":
        return { text: "$(loading~spin) llmls", tooltip: `llmls: ${this.loading}\n${model}`, error: false };
      case "busy":
        return { text: "$(sync~spin) llmls", tooltip: `llmls: completing\n${model}${latency}`, error: false };
      case "disabled":
        return { text: "$(circle-slash) llmls", tooltip: `llmls: completions off (click to switch on)\n${model}`, error: false };
      case "error":
        return { text: "$(error) llmls", tooltip: `llmls: error${err}\nclick for the log or a restart`, error: true };
      case "stopped":
        return { text: "$(debug-stop) llmls", tooltip: "llmls: server stopped (click to restart)", error: false };
      default:
        return { text: "$(check) llmls", tooltip: `llmls: ready\n${model}${latency}${err}`, error: false };
    }
  }
}
