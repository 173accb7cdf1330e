// The llmls VS Code extension: starts `llmls --stdio` with vscode-languageclient, maps the
// `llmls.*` settings to the server's settings, shows textDocument/inlineCompletion (LSP 3.18)
// items as ghost text through an InlineCompletionItemProvider of its own (the library's
// inline completion support is a proposed feature in 9.x), and keeps a status bar item.
// Code actions (docstrings) come from the server through the language client as they are.
import * as fs from "fs";
import * as os from "os";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  LogMessageNotification,
  MessageType,
  ServerOptions,
  State,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
} from "vscode-languageclient/node";
import * as logic from "./logic";

const ACCEPTED = "llmls.accepted"; // runs the item's command (llmls.accept) after an accept

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let statusItem: vscode.StatusBarItem;
const status = new logic.StatusModel();

function config(scope?: vscode.ConfigurationScope): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("llmls", scope);
}

/** Appends a JSON line to $LLMLS_VSCODE_TRACE (the end-to-end test reads it). */
function trace(entry: Record<string, unknown>): void {
  const file = process.env.LLMLS_VSCODE_TRACE;
  if (file) {
    try {
      fs.appendFileSync(file, JSON.stringify({ time: Date.now(), ...entry }) + "\n");
    } catch (e) {
      output.warn(`trace: ${String(e)}`);
    }
  }
}

/** The server's settings from the `llmls.*` settings (LoRA adapters merged per folder). */
export function serverSettings(): logic.ServerSettings {
  const c = config();
  const values: Record<string, unknown> = {};
  for (const key of logic.SERVER_KEYS) {
    values[key] = c.get(key);
  }
  // The extension has its own switch (llmls.enabled, also per language): the server stays on.
  delete values.enabled;
  const lora = c.inspect<logic.LoRASetting[]>("lora");
  values.lora = [...(lora?.globalValue ?? []), ...(lora?.workspaceValue ?? [])];
  const folders: logic.FolderLoRA[] = (vscode.workspace.workspaceFolders ?? []).map((f) => ({
    folder: f.uri.fsPath,
    lora: config(f.uri).inspect<logic.LoRASetting[]>("lora")?.workspaceFolderValue ?? [],
  }));
  return logic.buildServerSettings(values, folders);
}

function refreshStatus(): void {
  status.enabled = config().get<boolean>("enabled", true);
  status.model = config().get<string>("model") || undefined;
  const v = status.view();
  statusItem.text = v.text;
  statusItem.tooltip = v.tooltip;
  statusItem.backgroundColor = v.error ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
}

function expandHome(p: string): string {
  return p.startsWith("~/") ? os.homedir() + p.slice(1) : p;
}

/** Shows the inline completion items of the server as ghost text. */
class InlineProvider implements vscode.InlineCompletionItemProvider {
  async provideInlineCompletionItems(
    doc: vscode.TextDocument,
    pos: vscode.Position,
    ctx: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const c = client;
    if (!c || !c.isRunning() || !config(doc).get<boolean>("enabled", true)) {
      return undefined;
    }
    const conv = c.code2ProtocolConverter;
    const selected = ctx.selectedCompletionInfo
      ? { range: conv.asRange(ctx.selectedCompletionInfo.range), text: ctx.selectedCompletionInfo.text }
      : undefined;
    const position = { line: pos.line, character: pos.character };
    const params = logic.inlineCompletionParams(
      conv.asUri(doc.uri),
      position,
      logic.lspTriggerKind(ctx.triggerKind),
      selected,
    );
    const text = doc.getText();
    const version = doc.version;
    const started = Date.now();
    status.requestStarted();
    refreshStatus();
    let result: logic.InlineCompletionResult;
    try {
      result = await c.sendRequest<logic.InlineCompletionResult>(logic.INLINE_COMPLETION, params, token);
    } catch (e) {
      status.requestEnded();
      refreshStatus();
      if (!token.isCancellationRequested) {
        output.warn(`inline completion failed: ${String(e)}`);
      }
      return undefined;
    }
    status.requestEnded(Date.now() - started);
    refreshStatus();
    const items = logic.itemsOf(result);
    trace({ kind: "completion", uri: doc.uri.toString(), version, position, text, items });
    if (token.isCancellationRequested) {
      return undefined;
    }
    return items.map((it) => {
      const insert = typeof it.insertText === "string" ? it.insertText : new vscode.SnippetString(it.insertText.value);
      const range = it.range ? c.protocol2CodeConverter.asRange(it.range) : undefined;
      const item = new vscode.InlineCompletionItem(insert, range);
      if (it.filterText) {
        item.filterText = it.filterText;
      }
      if (it.command) {
        item.command = { title: it.command.title, command: ACCEPTED, arguments: [it.command] };
      }
      return item;
    });
  }
}

function createClient(): LanguageClient {
  const path = expandHome(config().get<string>("path") || "llmls");
  const args = ["--stdio", ...(config().get<string[]>("args") ?? [])];
  const serverOptions: ServerOptions = { command: path, args, options: { env: { ...process.env } } };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
    initializationOptions: serverSettings(),
    outputChannel: output,
    initializationFailedHandler: (error) => {
      status.failed(`the server did not initialize: ${error instanceof Error ? error.message : String(error)}`);
      refreshStatus();
      return false;
    },
  };
  return new LanguageClient("llmls", "llmls", serverOptions, clientOptions);
}

/** Handlers that must replace the library's defaults, so they are set once it has started. */
function installHandlers(c: LanguageClient): void {
  c.onNotification(LogMessageNotification.type, (p) => {
    switch (p.type) {
      case MessageType.Error:
        output.error(p.message);
        status.serverError(p.message);
        refreshStatus();
        break;
      case MessageType.Warning:
        output.warn(p.message);
        break;
      case MessageType.Info:
        output.info(p.message);
        break;
      default:
        output.debug(p.message);
    }
  });
  // Model loads after a settings change: progress in a notification and in the status bar.
  c.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
    let finish: (() => void) | undefined;
    let report: ((message: string) => void) | undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const disposable = c.onProgress(WorkDoneProgress.type, token, (v) => {
      if (v.kind === "begin") {
        status.progressBegin(v.message ?? v.title);
        refreshStatus();
        void vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: "llmls" },
          (progress) => {
            report = (message) => progress.report({ message });
            report(v.message ?? "");
            return done;
          },
        );
      } else if (v.kind === "report") {
        report?.(v.message ?? "");
      } else {
        status.progressEnd(v.message);
        refreshStatus();
        if (v.message?.startsWith("failed")) {
          void vscode.window.showErrorMessage(`llmls: ${v.message}`);
        }
        finish?.();
        disposable.dispose();
      }
    });
  });
}

async function start(): Promise<void> {
  const c = createClient();
  client = c;
  status.starting();
  refreshStatus();
  c.onDidChangeState((e) => {
    if (client !== c) {
      return;
    }
    if (e.newState === State.Running) {
      status.running();
    } else if (e.newState === State.Stopped && status.status !== "error") {
      status.stopped();
    } else if (e.newState === State.Starting) {
      status.starting();
    }
    refreshStatus();
  });
  try {
    await c.start();
    installHandlers(c);
    status.running();
    lastSent = JSON.stringify(c.clientOptions.initializationOptions);
    trace({ kind: "started" });
    output.info(`llmls started: ${config().get<string>("path") || "llmls"}`);
  } catch (e) {
    status.failed(e instanceof Error ? e.message : String(e));
    output.error(`llmls did not start: ${String(e)}`);
    void vscode.window.showErrorMessage(`llmls did not start: ${String(e)}. See the llmls log.`, "Show log").then(
      (choice) => choice && output.show(),
    );
  }
  refreshStatus();
}

async function stop(): Promise<void> {
  const c = client;
  client = undefined;
  status.stopped();
  refreshStatus();
  if (c) {
    try {
      await c.stop(5000);
    } catch (e) {
      output.warn(`stopping llmls: ${String(e)}`);
    }
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}

async function toggle(): Promise<void> {
  const on = !config().get<boolean>("enabled", true);
  await config().update("enabled", on, vscode.ConfigurationTarget.Global);
  refreshStatus();
  void vscode.window.setStatusBarMessage(`llmls: completions ${on ? "on" : "off"}`, 3000);
}

let lastSent = ""; // the server settings last sent, as JSON

/** Sends the server settings when they changed (llmls.enabled, for one, is not one of them). */
function sendSettings(): void {
  const c = client;
  const settings = serverSettings();
  const json = JSON.stringify(settings);
  if (c && c.isRunning() && json !== lastSent) {
    lastSent = json;
    void c.sendNotification(DidChangeConfigurationNotification.type, { settings });
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("llmls", { log: true });
  statusItem = vscode.window.createStatusBarItem("llmls.status", vscode.StatusBarAlignment.Right, 100);
  statusItem.name = "llmls";
  statusItem.command = "llmls.menu";
  statusItem.show();
  context.subscriptions.push(output, statusItem);

  context.subscriptions.push(
    vscode.commands.registerCommand("llmls.toggle", toggle),
    vscode.commands.registerCommand("llmls.showLog", () => output.show()),
    vscode.commands.registerCommand("llmls.restart", restart),
    vscode.commands.registerCommand("llmls.menu", async () => {
      const on = config().get<boolean>("enabled", true);
      const pick = await vscode.window.showQuickPick(
        [
          { label: on ? "$(circle-slash) Switch completions off" : "$(check) Switch completions on", id: "llmls.toggle" },
          { label: "$(output) Show the log", id: "llmls.showLog" },
          { label: "$(debug-restart) Restart the server", id: "llmls.restart" },
        ],
        { title: `llmls: ${status.status}` },
      );
      if (pick) {
        await vscode.commands.executeCommand(pick.id);
      }
    }),
    vscode.commands.registerCommand(ACCEPTED, async (cmd: logic.Command) => {
      const c = client;
      trace({ kind: "accept", command: cmd });
      if (!c || !c.isRunning()) {
        return;
      }
      try {
        await c.sendRequest(ExecuteCommandRequest.type, { command: cmd.command, arguments: cmd.arguments });
        trace({ kind: "accepted", command: cmd });
      } catch (e) {
        output.warn(`${cmd.command} failed: ${String(e)}`);
        trace({ kind: "accept-failed", error: String(e) });
      }
    }),
    vscode.languages.registerInlineCompletionItemProvider(
      [{ scheme: "file" }, { scheme: "untitled" }],
      new InlineProvider(),
    ),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("llmls.path") || e.affectsConfiguration("llmls.args")) {
        void restart();
      } else if (e.affectsConfiguration("llmls")) {
        refreshStatus();
        sendSettings();
      }
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => sendSettings()),
    { dispose: () => void stop() },
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}
