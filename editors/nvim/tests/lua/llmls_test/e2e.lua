-- End-to-end test of the plugin in the real editor against a real `llmls --stdio`: open a real
-- Go file, type in insert mode, wait for ghost text, accept a word then the rest with the
-- plugin's keys, and check the buffer against the text the server sent (captured from its
-- answer, so the test does not depend on what the model writes). Also: the accept command
-- reaches the server, Esc and cursor moves dismiss, <Tab> falls through when nothing is
-- shown, cycling shows the other items of an invoked request, :LlmlsStatus, :LlmlsToggle and
-- :checkhealth llmls.
--
-- Environment: LLMLS_BIN (the server binary), LLMLS_TEST_MODEL (a GGUF model; empty: the
-- binary's embedded model), LLMLS_TEST_FILE (the Go file to edit).
local h = require("llmls_test.harness")
local util = require("llmls.util")
local api = vim.api

local M = {}

local function ghost_mark(bufnr)
  local marks = api.nvim_buf_get_extmarks(bufnr, require("llmls.ghost").ns, 0, -1, { details = true })
  return marks[1]
end

-- The text of an extmark's ghost: its first line (the ghost chunks of virt_text, without the
-- buffer tail drawn after them) and its virtual lines.
local function mark_text(mark)
  local d = mark[4]
  local first = {}
  for _, chunk in ipairs(d.virt_text or {}) do
    if chunk[2] == "LlmlsGhostText" then
      table.insert(first, chunk[1])
    end
  end
  local lines = { table.concat(first) }
  for _, vl in ipairs(d.virt_lines or {}) do
    local parts = {}
    for _, chunk in ipairs(vl) do
      if chunk[2] == "LlmlsGhostText" then
        table.insert(parts, chunk[1])
      end
    end
    table.insert(lines, table.concat(parts))
  end
  return lines
end

-- The ghost as the plugin must draw it: tabs expanded (virtual text shows a tab as one cell).
local function expected_display(ghost, line_before_cursor)
  local ts = vim.bo.tabstop
  local lines = util.split_lines(ghost)
  local out = { util.expand_tabs(lines[1], vim.fn.strdisplaywidth(line_before_cursor), ts) }
  for i = 2, #lines do
    table.insert(out, util.expand_tabs(lines[i], 0, ts))
  end
  return out
end

-- Applies an LSP item to lines the way an editor must: replace its range (one line, character
-- offsets in encoding) with its insertText.
local function apply_item(lines, item, encoding, cursor_row, cursor_col)
  local row = item.range and item.range.start.line or cursor_row
  local line = lines[row + 1]
  local s, e = cursor_col, cursor_col
  if item.range then
    s = util.char_to_byte(line, item.range.start.character, encoding)
    e = util.char_to_byte(line, item.range["end"].character, encoding)
  end
  local new = util.split_lines(line:sub(1, s) .. util.insert_text(item.insertText) .. line:sub(e + 1))
  local out = {}
  for i = 1, row do
    out[i] = lines[i]
  end
  for _, l in ipairs(new) do
    table.insert(out, l)
  end
  for i = row + 2, #lines do
    table.insert(out, lines[i])
  end
  return out
end

function M.run()
  local bin = os.getenv("LLMLS_BIN") or "llmls"
  local model = os.getenv("LLMLS_TEST_MODEL")
  local file = os.getenv("LLMLS_TEST_FILE")
  h.start(function()
    local settings = {}
    if model and model ~= "" then
      settings.model = model
    end
    local llmls = require("llmls")
    llmls.setup({ bin = bin, settings = settings, debounce_ms = 150 })
    vim.cmd("edit " .. vim.fn.fnameescape(file))
    local bufnr = api.nvim_get_current_buf()
    vim.bo.expandtab = false
    h.check("the Go buffer has filetype go", vim.bo.filetype == "go", vim.bo.filetype)

    h.wait_until("the server to load the model", 30000, function()
      local st = llmls.status().status
      if st == "error" then
        error("llmls failed to start: " .. llmls.status().message)
      end
      return st == "ready"
    end)
    local client = llmls.client()
    h.check("the client is attached", client ~= nil and vim.lsp.buf_is_attached(bufnr, client.id))
    local enc = client.offset_encoding or "utf-16"

    -- Capture what goes to and comes from the server, independently of the plugin's state.
    local captured = { completions = {}, commands = {} }
    local orig = client.request
    local function wrap(method, params, handler, ...)
      if method == "textDocument/inlineCompletion" then
        local inner = handler
        handler = function(err, result, ctx, config)
          table.insert(captured.completions, { params = params, result = result, err = err })
          return inner(err, result, ctx, config)
        end
      elseif method == "workspace/executeCommand" then
        table.insert(captured.commands, params)
      end
      return method, params, handler, ...
    end
    if util.has.client_methods then
      client.request = function(self, ...)
        return orig(self, wrap(...))
      end
    else
      client.request = function(...)
        return orig(wrap(...))
      end
    end

    local status_out = h.exec("LlmlsStatus")
    h.check(":LlmlsStatus reports ready", status_out:find("llmls ready", 1, true) ~= nil, status_out)

    -- 1. Ghost text after typing. Line 31 is the empty body of Len().
    api.nvim_buf_set_lines(bufnr, 30, 31, false, { "\t" })
    api.nvim_win_set_cursor(0, { 31, 1 })
    local before = api.nvim_buf_get_lines(bufnr, 0, -1, false)
    h.feed("Aret")
    h.check("insert mode", api.nvim_get_mode().mode == "i", api.nvim_get_mode().mode)
    local answer = h.wait_until("ghost text", 20000, function()
      local last = captured.completions[#captured.completions]
      if last and last.result and #(last.result.items or last.result) > 0 and ghost_mark(bufnr) then
        return last
      end
    end)
    local lines_typed = api.nvim_buf_get_lines(bufnr, 0, -1, false)
    h.check("typed text is in the buffer", lines_typed[31] == "\tret", lines_typed[31])
    local item = (answer.result.items or answer.result)[1]
    local text = util.insert_text(item.insertText)
    io.stdout:write(("  server's first item: %q (range %s)\n"):format(text, vim.inspect(item.range, { newline = "" })))
    h.check(
      "the request was at the cursor",
      answer.params.position.line == 30 and answer.params.position.character == 4,
      vim.inspect(answer.params.position)
    )
    local typed = lines_typed[31]:sub(
      (item.range and util.char_to_byte(lines_typed[31], item.range.start.character, enc) or 4) + 1,
      4
    )
    h.check("the item begins with the text it replaces", text:sub(1, #typed) == typed, typed)
    local ghost = text:sub(#typed + 1)
    local mark = ghost_mark(bufnr)
    h.check("ghost text is at the cursor", mark[2] == 30 and mark[3] == 4, vim.inspect({ mark[2], mark[3] }))
    h.check_eq("ghost text shows the server's text", mark_text(mark), expected_display(ghost, "\tret"))
    h.check_eq("the buffer is unchanged by ghost text", api.nvim_buf_get_lines(bufnr, 0, -1, false), lines_typed)

    -- 2. Accept a word, then the rest.
    local word = util.next_word(ghost)
    local expected = apply_item(lines_typed, item, enc, 30, 4)
    if word ~= ghost then
      h.feed("<M-Right>")
      local l = api.nvim_buf_get_lines(bufnr, 0, -1, false)
      local partial = apply_item(lines_typed, { insertText = typed .. word, range = item.range }, enc, 30, 4)
      h.check_eq("accept word inserts the first word", l, partial)
      h.check("the rest stays shown", ghost_mark(bufnr) ~= nil)
      h.check("no accept command for a partial accept", #captured.commands == 0, vim.inspect(captured.commands))
    else
      io.stdout:write("  (the ghost text is one word: accept-word is the whole accept)\n")
    end
    h.feed("<Tab>")
    h.check_eq("<Tab> inserts exactly the server's text", api.nvim_buf_get_lines(bufnr, 0, -1, false), expected)
    local want_row = 30 + #util.split_lines(text) - 1
    local cur = api.nvim_win_get_cursor(0)
    h.check("the cursor is after the inserted text", cur[1] - 1 == want_row, vim.inspect(cur))
    h.wait_until("the accept command", 5000, function()
      return #captured.commands > 0
    end)
    h.check_eq("llmls.accept reached the server with the item's id", captured.commands[1], {
      command = "llmls.accept",
      arguments = item.command.arguments,
    })

    -- 3. Esc dismisses and leaves insert mode.
    h.wait_until("a new suggestion after the accept", 20000, function()
      return ghost_mark(bufnr)
    end, true)
    h.feed("<Esc>")
    h.check("Esc leaves insert mode", api.nvim_get_mode().mode == "n", api.nvim_get_mode().mode)
    h.check("Esc removes the ghost text", ghost_mark(bufnr) == nil)
    local after = api.nvim_buf_get_lines(bufnr, 0, -1, false)
    h.check_eq("Esc leaves the buffer as accepted", after, expected)

    -- 4. A cursor move dismisses.
    api.nvim_buf_set_lines(bufnr, 0, -1, false, before)
    api.nvim_win_set_cursor(0, { 31, 1 })
    h.feed("Aret")
    h.wait_until("ghost text again", 20000, function()
      return ghost_mark(bufnr)
    end)
    h.feed("<Left>", 10)
    h.check("a cursor move removes the ghost text", ghost_mark(bufnr) == nil)

    -- 5. Cycling: an invoked request returns several items.
    local n_before = #captured.completions
    h.feed("<End><M-\\>")
    local invoked = h.wait_until("an invoked answer", 8000, function()
      for i = n_before + 1, #captured.completions do
        local c = captured.completions[i]
        if c.params.context.triggerKind == 1 and c.result then
          return c
        end
      end
    end)
    local items = invoked.result.items or invoked.result
    h.wait_until("ghost text of the invoked request", 5000, function()
      return ghost_mark(bufnr)
    end)
    local cur_line = api.nvim_buf_get_lines(bufnr, 30, 31, false)[1]
    local function display_of(it)
      local t = util.insert_text(it.insertText)
      local s = it.range and util.char_to_byte(cur_line, it.range.start.character, enc) or #cur_line
      return expected_display(t:sub(#cur_line - s + 1), cur_line)
    end
    h.check_eq("the first invoked item is shown", mark_text(ghost_mark(bufnr)), display_of(items[1]))
    if #items >= 2 then
      h.feed("<M-]>")
      h.check_eq("<M-]> shows the second item", mark_text(ghost_mark(bufnr)), display_of(items[2]))
      h.feed("<M-[>")
      h.check_eq("<M-[> shows the first item again", mark_text(ghost_mark(bufnr)), display_of(items[1]))
    else
      io.stdout:write("  (the invoked request returned 1 item: nothing to cycle)\n")
    end
    h.feed("<C-]>")
    h.check("<C-]> dismisses", ghost_mark(bufnr) == nil)
    h.feed("<Esc>")

    -- 6. :LlmlsToggle, and <Tab> falls through when nothing is shown.
    vim.cmd("silent LlmlsToggle")
    h.check("LlmlsToggle switches completions off", llmls.status().enabled == false)
    h.check_eq("statusline says off", llmls.statusline(), "llmls: off")
    api.nvim_buf_set_lines(bufnr, 0, -1, false, before)
    api.nvim_win_set_cursor(0, { 31, 1 })
    local sent = #captured.completions
    h.feed("A<Tab>x", 300)
    h.check_eq("<Tab> without ghost text inserts a tab", api.nvim_buf_get_lines(bufnr, 30, 31, false)[1], "\t\tx")
    h.check("no request while switched off", #captured.completions == sent, #captured.completions - sent)
    h.feed("<Esc>")
    vim.cmd("silent LlmlsToggle")
    h.check("LlmlsToggle switches completions on", llmls.status().enabled == true)

    -- 7. :checkhealth llmls
    vim.cmd("silent checkhealth llmls")
    local report = table.concat(api.nvim_buf_get_lines(0, 0, -1, false), "\n")
    h.check("checkhealth finds the server", report:find("server running", 1, true) ~= nil, report)
    h.check("checkhealth reports no error", report:find("ERROR", 1, true) == nil, report)
  end)
end

return M
