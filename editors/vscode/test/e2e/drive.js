// Drives code-server in headless Chromium for run.sh: open the file, wait for the extension,
// type, wait for ghost text, screenshot, Tab, save, and compare the saved file with the text
// the server returned (the extension's trace). Prints one line per check and "N passed,
// N failed"; exits 1 on any failure.
"use strict";
const fs = require("fs");
const { chromium } = require(process.env.E2E_PW);
const logic = require(process.env.E2E_LOGIC);

const file = process.env.E2E_FILE;
const traceFile = process.env.E2E_TRACE;
let passed = 0;
let failed = 0;

function check(name, ok, detail) {
  if (ok) {
    passed++;
    console.log(`ok: ${name}`);
  } else {
    failed++;
    console.log(`FAIL: ${name}${detail !== undefined ? `: ${detail}` : ""}`);
  }
}

function trace() {
  if (!fs.existsSync(traceFile)) return [];
  return fs
    .readFileSync(traceFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function waitFor(what, ms, fn) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Text as the editor draws it: non-breaking spaces for spaces, tabs as spaces.
const norm = (s) => s.replace(/\u00a0/g, " ").replace(/\t/g, " ").replace(/ +/g, " ").trim();

async function main() {
  const original = fs.readFileSync(file, "utf8");
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await page.goto(process.env.E2E_URL);
    await page.waitForSelector(".monaco-workbench", { timeout: 60000 });
    const row = page.locator(".explorer-folders-view .monaco-list-row", { hasText: "stack.go" });
    await row.waitFor({ timeout: 30000 });
    await row.click();
    await page.waitForSelector(".monaco-editor .view-lines", { timeout: 30000 });

    // The extension's status bar item reaches "ready" (a check mark) once the model is loaded.
    const item = page.locator(".statusbar-item", { hasText: "llmls" });
    await item.first().waitFor({ timeout: 60000 });
    await waitFor("the llmls status item to be ready", 60000, async () => (await item.locator(".codicon-check").count()) > 0);
    check("the status bar item shows llmls ready", true);

    // Line 31 holds a tab: go there, to its end, and type.
    await page.locator(".monaco-editor .view-lines").first().click();
    await page.keyboard.press("Control+g");
    await page.waitForSelector(".quick-input-widget input", { timeout: 10000 });
    await page.keyboard.type("31");
    await page.keyboard.press("Enter");
    await page.keyboard.press("End");
    const typedAt = Date.now();
    await page.keyboard.type("ret", { delay: 60 });

    const ghostSel = ".monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text";
    await page.waitForSelector(ghostSel, { timeout: 30000 });
    // The answer for the cursor after "ret": line 30 (0-based), character 4.
    const entry = await waitFor("the completion in the trace", 10000, () =>
      trace()
        .filter((e) => e.kind === "completion" && e.time >= typedAt && e.position.line === 30 && e.position.character === 4 && e.items.length > 0)
        .pop(),
    );
    const item0 = entry.items[0];
    const cursor = entry.position;
    console.log(`  server's first item: ${JSON.stringify(item0.insertText)}`);
    check("the traced document is the file with the typed text", entry.text === original.replace(/\n\t\n/, "\n\tret\n"));
    const ghost = logic.ghostText(entry.text, item0, cursor);
    check("the item applies at the cursor", ghost !== null);
    const shown = await page.locator(".monaco-editor .ghost-text-decoration").first().innerText();
    const firstLine = (ghost || "").split("\n")[0];
    check("the ghost text shows the server's text", norm(shown) === norm(firstLine), `${JSON.stringify(shown)} vs ${JSON.stringify(firstLine)}`);

    await page.screenshot({ path: process.env.E2E_SHOT });
    console.log(`  screenshot: ${process.env.E2E_SHOT}`);

    await page.keyboard.press("Tab");
    const accepted = await waitFor("the accept command", 10000, () => trace().find((e) => e.kind === "accepted"));
    check("Tab ran llmls.accept with the item's id", JSON.stringify(accepted.command.arguments) === JSON.stringify(item0.command.arguments));

    await page.keyboard.press("Control+s");
    const want = logic.applyItem(entry.text, item0, cursor).text;
    let saved = "";
    try {
      await waitFor("the saved file", 10000, () => {
        saved = fs.readFileSync(file, "utf8");
        return saved !== original;
      });
    } catch (e) {
      console.log(`  ${e.message}`);
    }
    check("the saved file has exactly the server's text inserted", saved === want, `\n--- got\n${saved}\n--- want\n${want}`);

    // Commands from the palette: switch completions off (the status bar says so and typing
    // asks nothing), on again, and restart the server.
    async function command(title) {
      await page.keyboard.press("F1");
      await page.waitForSelector(".quick-input-widget input", { timeout: 10000 });
      await page.keyboard.type(title);
      await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor({ timeout: 10000 });
      await page.keyboard.press("Enter");
    }
    await command("llmls: Switch Completions On/Off");
    await waitFor("the off icon", 10000, async () => (await item.locator(".codicon-circle-slash").count()) > 0);
    const before = trace().filter((e) => e.kind === "completion").length;
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("x", { delay: 60 });
    await new Promise((r) => setTimeout(r, 1500));
    check("switched off: no completion requests", trace().filter((e) => e.kind === "completion").length === before);
    await command("llmls: Switch Completions On/Off");
    await waitFor("the ready icon", 10000, async () => (await item.locator(".codicon-check").count()) > 0);
    check("switched on again", true);
    const started = trace().filter((e) => e.kind === "started").length;
    await command("llmls: Restart Server");
    await waitFor("the server to start again", 60000, () => trace().filter((e) => e.kind === "started").length > started);
    await waitFor("ready after the restart", 10000, async () => (await item.locator(".codicon-check").count()) > 0);
    await page.keyboard.type("y", { delay: 60 });
    await waitFor("a completion after the restart", 20000, () => trace().filter((e) => e.kind === "completion").length > before);
    check("completions after a restart", true);
  } catch (e) {
    if (process.env.E2E_FAILSHOT) {
      await page.screenshot({ path: process.env.E2E_FAILSHOT }).catch(() => {});
      console.log(`  screenshot of the failure: ${process.env.E2E_FAILSHOT}`);
    }
    throw e;
  } finally {
    await browser.close();
  }
}

main()
  .catch((e) => {
    failed++;
    console.log(`FAIL: ${e.stack || e}`);
  })
  .finally(() => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed > 0 ? 1 : 0);
  });
