-- Unit tests: llmls.util's pure functions (expected values worked out by hand from UTF-8 /
-- UTF-16 encodings), and llmls.ghost in the real editor against a scripted client whose
-- answers the test chooses, for what the real server's answers do not reliably exercise:
-- several items to cycle, ranges that replace text after the cursor, multi-line ghost text
-- in the middle of a line, non-ASCII text before the cursor, typing through ghost text, and
-- answers that arrive after the text changed.
local h = require("llmls_test.harness")
local util = require("llmls.util")
local ghost = require("llmls.ghost")
local api = vim.api

local M = {}

local function util_tests()
  -- "aé😀b": a (1 byte, 1 UTF-16 unit), é (2 bytes, 1 unit), 😀 (4 bytes, 2 units), b.
  local s = "a\195\169\240\159\152\128b"
  local cases = {
    { "ascii utf-16", "abc", 2, "utf-16", 2 },
    { "after é", s, 3, "utf-16", 2 },
    { "after emoji utf-16", s, 7, "utf-16", 4 },
    { "after emoji utf-32", s, 7, "utf-32", 3 },
    { "after emoji utf-8", s, 7, "utf-8", 7 },
    { "end of line", s, 8, "utf-16", 5 },
    { "inside é counts the characters before it", s, 2, "utf-16", 1 },
    { "past the end clamps", "ab", 10, "utf-16", 2 },
  }
  for _, c in ipairs(cases) do
    h.check_eq("byte_to_char: " .. c[1], util.byte_to_char(c[2], c[3], c[4]), c[5])
  end
  local back = {
    { "ascii", "abc", 2, "utf-16", 2 },
    { "after é", s, 2, "utf-16", 3 },
    { "after emoji", s, 4, "utf-16", 7 },
    { "inside the surrogate pair gives its start", s, 3, "utf-16", 3 },
    { "utf-32", s, 3, "utf-32", 7 },
    { "utf-8", s, 5, "utf-8", 5 },
    { "past the end gives the line length", s, 99, "utf-16", 8 },
    { "zero", s, 0, "utf-16", 0 },
  }
  for _, c in ipairs(back) do
    h.check_eq("char_to_byte: " .. c[1], util.char_to_byte(c[2], c[3], c[4]), c[5])
  end
  h.check_eq("split_lines", util.split_lines("a\nb\n"), { "a", "b", "" })
  h.check_eq("split_lines single", util.split_lines("ab"), { "ab" })
  local words = {
    { " len(s.items)", " len" },
    { "(s.items)", "(" },
    { ".items", "." },
    { "items)\n}", "items" },
    { "\n\treturn x", "\n\t" },
    { "  ", "  " },
    { "éa b", "éa" },
    { ":= 1", ":=" },
  }
  for _, c in ipairs(words) do
    h.check_eq("next_word " .. vim.inspect(c[1]), util.next_word(c[1]), c[2])
  end
  local lines = {
    { "abc", "abc" },
    { "abc\ndef", "abc\n" },
    { "\ndef\nghi", "\ndef\n" },
    { "\ndef", "\ndef" },
  }
  for _, c in ipairs(lines) do
    h.check_eq("next_line " .. vim.inspect(c[1]), util.next_line(c[1]), c[2])
  end
  h.check_eq("expand_tabs at 0", util.expand_tabs("\tx", 0, 8), "        x")
  h.check_eq("expand_tabs at 3", util.expand_tabs("\tx\ty", 3, 4), " x   y")
  h.check_eq("expand_tabs counts é as one cell", util.expand_tabs("é\tx", 0, 4), "é   x")
  h.check_eq("insert_text string", util.insert_text("a$1"), "a$1")
  h.check_eq(
    "insert_text snippet",
    util.insert_text({ kind = "snippet", value = "f(${1:x}, $2)$0 \\$y" }),
    "f(x, ) $y"
  )
end

-- A scripted LSP client: answers each textDocument/inlineCompletion with fake.answer.
local fake = { id = 424242, name = "scripted", offset_encoding = "utf-16", sent = {}, cancelled = {} }
local function strip_self(...)
  local a = { ... }
  if a[1] == fake then
    table.remove(a, 1)
  end
  return unpack(a)
end
function fake.request(...)
  local method, params, handler = strip_self(...)
  table.insert(fake.sent, { method = method, params = params })
  local id = #fake.sent
  local answer = fake.answer
  vim.defer_fn(function()
    if not fake.cancelled[id] then
      handler(nil, answer, { client_id = fake.id, method = method })
    end
  end, fake.delay or 10)
  return true, id
end
function fake.cancel_request(...)
  local id = strip_self(...)
  fake.cancelled[id] = true
end
function fake.is_stopped()
  return false
end

local function item(text, l, c0, c1)
  return { insertText = text, range = { start = { line = l, character = c0 }, ["end"] = { line = l, character = c1 } } }
end

local function mark()
  return api.nvim_buf_get_extmarks(0, ghost.ns, 0, -1, { details = true })[1]
end

local function chunks_text(chunks, hl)
  local t = {}
  for _, ch in ipairs(chunks or {}) do
    if hl == nil or ch[2] == hl then
      table.insert(t, ch[1])
    end
  end
  return table.concat(t)
end

local function buf_lines()
  return api.nvim_buf_get_lines(0, 0, -1, false)
end

-- Sets the buffer, enters insert mode at (row 1-based, byte col), asks for a suggestion and
-- waits for its extmark.
local function show(lines, row, col, answer)
  h.feed("<Esc>")
  ghost.dismiss(0)
  api.nvim_buf_set_lines(0, 0, -1, false, lines)
  api.nvim_win_set_cursor(0, { row, col })
  h.feed(col >= #lines[row] and "a" or "i", 20)
  api.nvim_win_set_cursor(0, { row, col })
  ghost.dismiss(0)
  fake.answer = answer
  ghost.request(0, 1)
  return h.wait_until("ghost text", 3000, mark)
end

local function ghost_tests()
  vim.cmd("enew")
  vim.bo.buftype = "nofile"
  vim.bo.expandtab = false
  vim.bo.tabstop = 4
  local bufnr = api.nvim_get_current_buf()
  ghost.get_client = function()
    return fake
  end
  ghost.config.debounce_ms = 5000 -- only the test's own requests
  ghost.attach(bufnr)

  -- Mid-line, multi-line, replacing "bar)" after the cursor (UTF-16 ranges after "é").
  -- Line "é(bar) z": é is 2 bytes, so the cursor after "é(" is byte 3, character 2.
  local m = show({ "é(bar) z" }, 1, 3, { items = { item("x,\n\ty)", 0, 2, 6) } })
  local d = m[4]
  h.check_eq("mid-line ghost: anchored at the cursor", { m[2], m[3] }, { 0, 3 })
  h.check_eq("mid-line ghost: overlay", d.virt_text_pos, "overlay")
  h.check_eq("mid-line ghost: first line", chunks_text(d.virt_text, "LlmlsGhostText"), "x,")
  h.check_eq("mid-line ghost: blanks hide the replaced tail", chunks_text(d.virt_text), "x,    ")
  h.check_eq("mid-line ghost: next line with the kept tail", d.virt_lines, {
    { { "    y)", "LlmlsGhostText" }, { " z", "Normal" } },
  })
  h.check("accept a multi-line item", ghost.accept("all"))
  h.check_eq("multi-line item replaces its range", buf_lines(), { "é(x,", "\ty) z" })
  h.check_eq("cursor after the inserted text", api.nvim_win_get_cursor(0), { 2, 3 })
  h.check("nothing shown after accept", mark() == nil)

  -- Single line in the middle of a line: replacing "a" after the cursor, the tail ")" is
  -- drawn after the ghost; a pure insertion is inline where Neovim can (0.10+).
  m = show({ "f(a)" }, 1, 2, { items = { item("b, a", 0, 2, 3) } })
  h.check_eq("single-line replacement: overlay with the tail", chunks_text(m[4].virt_text), "b, a)")
  m = show({ "f(a)" }, 1, 2, { items = { item("b, ", 0, 2, 2) } })
  if util.has.inline_virt_text then
    h.check_eq("single-line insertion: inline", { m[4].virt_text_pos, chunks_text(m[4].virt_text) }, { "inline", "b, " })
  else
    h.check_eq("single-line insertion: overlay with the tail", { m[4].virt_text_pos, chunks_text(m[4].virt_text) }, { "overlay", "b, a)" })
  end
  ghost.accept("all")
  h.check_eq("single-line insertion accepted", buf_lines(), { "f(b, a)" })

  -- Typing through: the suggestion stays, shortened, and no request is sent.
  show({ "x := " }, 1, 5, { items = { item("len(s)", 0, 5, 5) } })
  local sent = #fake.sent
  h.feed("le")
  h.check_eq("typed-through: the rest is shown", chunks_text(mark()[4].virt_text, "LlmlsGhostText"), "n(s)")
  h.check_eq("typed-through: no new request", #fake.sent, sent)
  h.feed("x")
  h.check("typing something else dismisses", mark() == nil)

  -- Accept line by line.
  show({ "" }, 1, 0, { items = { item("a := 1\nb := 2\nc", 0, 0, 0) } })
  ghost.accept("line")
  h.check_eq("accept line: first line and its break", buf_lines(), { "a := 1", "" })
  h.check_eq("accept line: the rest is shown", chunks_text(mark()[4].virt_text, "LlmlsGhostText"), "b := 2")
  ghost.accept("word")
  h.check_eq("accept word after accept line", buf_lines(), { "a := 1", "b" })
  ghost.accept("all")
  h.check_eq("accept the rest", buf_lines(), { "a := 1", "b := 2", "c" })

  -- Cycling through items of one answer.
  show({ "x = " }, 1, 4, { items = { item("1", 0, 4, 4), item("2", 0, 4, 4), item("3", 0, 4, 4) } })
  local function shown()
    return chunks_text(mark()[4].virt_text, "LlmlsGhostText")
  end
  h.check_eq("cycle: first", shown(), "1")
  ghost.cycle(1)
  h.check_eq("cycle: next", shown(), "2")
  ghost.cycle(-1)
  ghost.cycle(-1)
  h.check_eq("cycle: previous wraps", shown(), "3")
  ghost.accept("all")
  h.check_eq("cycle: accept the shown item", buf_lines(), { "x = 3" })

  -- Items that do not apply are dropped: another line, a range without the cursor, text that
  -- does not begin with what it replaces before the cursor.
  show({ "ab" }, 1, 2, {
    items = { item("zz", 1, 0, 0), item("q", 0, 0, 1), item("xy", 0, 0, 2), item("abc", 0, 0, 2) },
  })
  h.check_eq("only the applicable item is shown", chunks_text(mark()[4].virt_text, "LlmlsGhostText"), "c")
  h.check_eq("it is the only item", ghost.current(0).count, 1)

  -- A stale answer (the text changed meanwhile) is not shown. Events are ignored during the
  -- change so that the plugin does not cancel the request and the answer's check is reached.
  h.feed("<Esc>")
  ghost.dismiss(0)
  api.nvim_buf_set_lines(0, 0, -1, false, { "s" })
  h.feed("A", 20)
  ghost.dismiss(0)
  fake.answer = { items = { item("tale", 0, 1, 1) } }
  fake.delay = 150
  local n = #fake.sent
  ghost.request(0, 1)
  vim.o.eventignore = "all"
  api.nvim_buf_set_text(0, 0, 1, 0, 1, { "!" })
  h.sleep(300)
  vim.o.eventignore = ""
  h.check_eq("the stale request was sent and not cancelled", { #fake.sent, fake.cancelled[n + 1] }, { n + 1, nil })
  h.check("an answer for an older text is not shown", mark() == nil)
  fake.delay = nil
  h.feed("<Esc>")
end

function M.run()
  h.start(function()
    util_tests()
    ghost_tests()
  end, 30000)
end

return M
