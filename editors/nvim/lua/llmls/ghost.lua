-- Ghost text for Neovim without vim.lsp.inline_completion (0.7 to 0.11, or any version with
-- native = false): requests textDocument/inlineCompletion (LSP 3.18) on insert-mode changes,
-- debounced, draws the current item with extmarks (virt_text for the first line, virt_lines
-- for the rest), and accepts all / a word / a line of it, cycles items and dismisses.
--
-- A suggestion is kept relative to an anchor, the cursor position where its remaining text
-- goes: { row, col } (0-based row, byte column). Each item stores the text it inserts at the
-- anchor of the request (ghost) and how many bytes after the anchor it replaces (del), both
-- derived from the server's insertText and range. Text typed or accepted since the request
-- (consumed) advances the anchor; the item stays valid while its ghost begins with consumed.
-- Accepting the rest replaces [col, col + del) with the rest: the replaced text sits right
-- after the anchor however far the anchor moved, since everything was inserted before it.
local util = require("llmls.util")
local api = vim.api
local uv = vim.uv or vim.loop

local M = {}

M.ns = api.nvim_create_namespace("llmls_ghost")

-- Set by llmls.init: returns the llmls client for a buffer or nil.
M.get_client = function(_)
  return nil
end
M.config = { debounce_ms = 75, enabled = true, hl_group = "LlmlsGhostText" }

-- Per-buffer state: { timer, pending = { id, client }, sugg }.
local buffers = {}

-- Statistics for :LlmlsStatus.
M.stats = { requests = 0, answered = 0, shown = 0, accepted = 0, last_ms = nil, last_error = nil, in_flight = 0 }

local function resolve(bufnr)
  if bufnr == nil or bufnr == 0 then
    return api.nvim_get_current_buf()
  end
  return bufnr
end

local function buf_state(bufnr)
  local b = buffers[bufnr]
  if not b then
    b = {}
    buffers[bufnr] = b
  end
  return b
end

local function in_insert_mode()
  return api.nvim_get_mode().mode:sub(1, 1) == "i"
end

local function cursor()
  local pos = api.nvim_win_get_cursor(0)
  return pos[1] - 1, pos[2]
end

local function get_line(bufnr, row)
  return api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
end

local function changedtick(bufnr)
  return api.nvim_buf_get_var(bufnr, "changedtick")
end

local function clear_marks(bufnr)
  if api.nvim_buf_is_valid(bufnr) then
    api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  end
end

local function stop_timer(b)
  if b.timer then
    b.timer:stop()
    if not b.timer:is_closing() then
      b.timer:close()
    end
    b.timer = nil
  end
end

local function cancel_pending(b)
  local p = b.pending
  b.pending = nil
  if p and p.client and not util.client_call(p.client, "is_stopped") then
    pcall(util.client_call, p.client, "cancel_request", p.id)
  end
end

--- Dismisses the suggestion of bufnr (if any) and cancels its pending request.
function M.dismiss(bufnr)
  bufnr = resolve(bufnr)
  local b = buffers[bufnr]
  if not b then
    return
  end
  stop_timer(b)
  cancel_pending(b)
  b.sugg = nil
  clear_marks(bufnr)
end

--- The current item of a suggestion and the part of its text not yet inserted.
local function current(s)
  local it = s.items[s.index]
  return it, it.ghost:sub(#s.consumed + 1)
end

--- Draws the suggestion s of bufnr. It returns false (and draws nothing) when the buffer is
--- not as the suggestion expects.
local function render(bufnr, s)
  clear_marks(bufnr)
  local it, ghost = current(s)
  local line = get_line(bufnr, s.row)
  if #line < s.col + it.del then
    return false
  end
  local hl = M.config.hl_group
  local lines = util.split_lines(ghost)
  local tail = line:sub(s.col + it.del + 1) -- what stays after the cursor once accepted
  local ts = vim.bo[bufnr].tabstop
  if #lines == 1 and it.del == 0 and util.has.inline_virt_text then
    api.nvim_buf_set_extmark(bufnr, M.ns, s.row, s.col, {
      virt_text = { { util.expand_tabs(ghost, vim.fn.strdisplaywidth(line:sub(1, s.col)), ts), hl } },
      virt_text_pos = "inline",
      hl_mode = "combine",
    })
    return true
  end
  -- Overlay: the first line is drawn over the rest of the buffer line, so the ghost of a
  -- single line carries the tail after it, and otherwise blanks hide the tail, which is drawn
  -- after the last virtual line instead (where it will be once the text is accepted).
  local vcol = vim.fn.strdisplaywidth(line:sub(1, s.col))
  local rest_width = vim.fn.strdisplaywidth(line) - vcol
  local first = util.expand_tabs(lines[1], vcol, ts)
  local width = vim.fn.strdisplaywidth(first)
  local virt_text = { { first, hl } }
  local virt_lines = {}
  if #lines == 1 then
    local t = util.expand_tabs(tail, vcol + width, ts)
    if t ~= "" then
      table.insert(virt_text, { t, "Normal" })
    end
    width = width + vim.fn.strdisplaywidth(t)
  else
    for i = 2, #lines do
      local text = util.expand_tabs(lines[i], 0, ts)
      local chunks = { { text, hl } }
      if i == #lines and tail ~= "" then
        table.insert(chunks, { util.expand_tabs(tail, vim.fn.strdisplaywidth(text), ts), "Normal" })
      end
      table.insert(virt_lines, chunks)
    end
  end
  if width < rest_width then
    table.insert(virt_text, { string.rep(" ", rest_width - width), "Normal" })
  end
  local opts = { virt_text = virt_text, virt_text_pos = "overlay", hl_mode = "combine" }
  if #virt_lines > 0 then
    opts.virt_lines = virt_lines
  end
  api.nvim_buf_set_extmark(bufnr, M.ns, s.row, s.col, opts)
  return true
end

--- Turns the server's items into suggestion items relative to the cursor (row, col) of line,
--- dropping those that do not apply there (another line, a range without the cursor, text
--- before the cursor that the item does not begin with).
local function normalize(result, client, row, col, line)
  local raw = result and (result.items or result) or {}
  local enc = client.offset_encoding or "utf-16"
  local out = {}
  for _, r in ipairs(type(raw) == "table" and raw or {}) do
    local text = util.insert_text(r.insertText)
    local s, e = col, col
    local ok = true
    if r.range then
      ok = r.range.start.line == row and r.range["end"].line == row
      s = util.char_to_byte(line, r.range.start.character, enc)
      e = util.char_to_byte(line, r.range["end"].character, enc)
    end
    if ok and s <= col and col <= e then
      local typed = line:sub(s + 1, col)
      if text:sub(1, #typed) == typed then
        local ghost = text:sub(#typed + 1)
        local del = e - col
        if ghost ~= "" or del > 0 then
          table.insert(out, { text = text, ghost = ghost, del = del, start = s, command = r.command })
        end
      end
    end
  end
  return out
end

--- Sends textDocument/inlineCompletion for the cursor of bufnr (trigger: 1 Invoked,
--- 2 Automatic) and shows the answer when it still applies.
function M.request(bufnr, trigger)
  bufnr = resolve(bufnr)
  local client = M.get_client(bufnr)
  if not client or not M.config.enabled or api.nvim_get_current_buf() ~= bufnr then
    return
  end
  local b = buf_state(bufnr)
  stop_timer(b)
  cancel_pending(b)
  local row, col = cursor()
  local line = get_line(bufnr, row)
  local tick = changedtick(bufnr)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = row, character = util.byte_to_char(line, col, client.offset_encoding or "utf-16") },
    context = { triggerKind = trigger or 2 },
  }
  local started = uv.hrtime()
  local req = {}
  M.stats.requests = M.stats.requests + 1
  M.stats.in_flight = M.stats.in_flight + 1
  local ok, id = util.client_call(client, "request", "textDocument/inlineCompletion", params, function(err, result)
    M.stats.in_flight = math.max(0, M.stats.in_flight - 1)
    if b.pending ~= req then
      return -- superseded or cancelled
    end
    b.pending = nil
    if err then
      if err.code ~= -32800 then -- RequestCancelled
        M.stats.last_error = err.message
      end
      return
    end
    M.stats.answered = M.stats.answered + 1
    M.stats.last_ms = math.floor((uv.hrtime() - started) / 1e6)
    if
      not api.nvim_buf_is_valid(bufnr)
      or api.nvim_get_current_buf() ~= bufnr
      or not in_insert_mode()
      or changedtick(bufnr) ~= tick
    then
      return
    end
    local r, c = cursor()
    if r ~= row or c ~= col then
      return
    end
    local items = normalize(result, client, row, col, line)
    if #items == 0 then
      return
    end
    b.sugg = {
      row = row,
      col = col,
      prefix = line:sub(1, col),
      tail = line:sub(col + 1),
      consumed = "",
      items = items,
      index = 1,
      tick = tick,
      client_id = client.id,
      trigger = trigger or 2,
    }
    if render(bufnr, b.sugg) then
      M.stats.shown = M.stats.shown + 1
    else
      b.sugg = nil
    end
  end, bufnr)
  if ok then
    req.id, req.client, req.row, req.col, req.tick = id, client, row, col, tick
    b.pending = req
  else
    M.stats.in_flight = math.max(0, M.stats.in_flight - 1)
  end
end

--- Schedules an automatic request after config.debounce_ms.
local function schedule_request(bufnr)
  local b = buf_state(bufnr)
  stop_timer(b)
  cancel_pending(b)
  if not M.config.enabled or not M.get_client(bufnr) then
    return
  end
  b.timer = uv.new_timer()
  b.timer:start(
    M.config.debounce_ms,
    0,
    vim.schedule_wrap(function()
      stop_timer(b)
      if api.nvim_buf_is_valid(bufnr) and api.nvim_get_current_buf() == bufnr and in_insert_mode() then
        M.request(bufnr, 2)
      end
    end)
  )
end

--- Keeps the suggestion when the text typed since it was drawn is the start of its ghost.
local function typed_through(bufnr, s)
  local row, col = cursor()
  if row ~= s.row or col <= s.col then
    return false
  end
  local line = get_line(bufnr, row)
  if line:sub(1, s.col) ~= s.prefix or line:sub(col + 1) ~= s.tail then
    return false
  end
  local typed = line:sub(s.col + 1, col)
  local _, ghost = current(s)
  if ghost:sub(1, #typed) ~= typed or #typed == #ghost then
    return false
  end
  s.consumed = s.consumed .. typed
  s.col, s.prefix, s.tick = col, line:sub(1, col), changedtick(bufnr)
  return render(bufnr, s)
end

local function on_text_changed(bufnr)
  local b = buf_state(bufnr)
  local s = b.sugg
  if s and changedtick(bufnr) == s.tick then
    return -- our own edit (a partial accept)
  end
  if s and typed_through(bufnr, s) then
    return
  end
  b.sugg = nil
  clear_marks(bufnr)
  schedule_request(bufnr)
end

local function on_cursor_moved(bufnr)
  local b = buf_state(bufnr)
  local s = b.sugg
  if changedtick(bufnr) ~= (s and s.tick or b.last_tick) then
    -- The text changed too: TextChangedI, which comes after CursorMovedI, decides.
    b.last_tick = changedtick(bufnr)
    return
  end
  local row, col = cursor()
  local p = b.pending
  if p and p.row == row and p.col == col and p.tick == changedtick(bufnr) then
    return -- a request for this very position is on its way (e.g. just invoked)
  end
  if s then
    if row == s.row and col == s.col then
      return
    end
    b.sugg = nil
    clear_marks(bufnr)
  end
  schedule_request(bufnr)
end

--- Runs an item's command: a client-side handler from vim.lsp.commands, else
--- workspace/executeCommand (llmls.accept tells the server which item was accepted).
local function run_command(bufnr, client_id, command)
  if not command then
    return
  end
  local client = vim.lsp.get_client_by_id(client_id)
  if not client then
    return
  end
  local handler = vim.lsp.commands[command.command]
  if handler then
    handler(command, { bufnr = bufnr, client_id = client_id })
    return
  end
  util.client_call(client, "request", "workspace/executeCommand", {
    command = command.command,
    arguments = command.arguments,
  }, function(err)
    if err then
      M.stats.last_error = err.message
    end
  end, bufnr)
end

--- Whether a suggestion is shown in bufnr.
function M.visible(bufnr)
  local b = buffers[resolve(bufnr)]
  return b ~= nil and b.sugg ~= nil
end

--- The suggestion shown in bufnr: { text = full item text, ghost = text still to insert,
--- index, count } or nil.
function M.current(bufnr)
  local b = buffers[resolve(bufnr)]
  if not b or not b.sugg then
    return nil
  end
  local it, ghost = current(b.sugg)
  return { text = it.text, ghost = ghost, index = b.sugg.index, count = #b.sugg.items, command = it.command }
end

--- Accepts the suggestion of the current buffer: kind "all" (default), "word" or "line".
--- Returns false when nothing is shown.
function M.accept(kind)
  local bufnr = api.nvim_get_current_buf()
  local b = buffers[bufnr]
  local s = b and b.sugg
  if not s then
    return false
  end
  local it, ghost = current(s)
  local chunk = ghost
  if kind == "word" then
    chunk = util.next_word(ghost)
  elseif kind == "line" then
    chunk = util.next_line(ghost)
  end
  local lines = util.split_lines(chunk)
  local full = chunk == ghost
  stop_timer(b)
  cancel_pending(b)
  -- Undo: the insertion joins the current insert, like typed text.
  api.nvim_buf_set_text(bufnr, s.row, s.col, s.row, s.col + (full and it.del or 0), lines)
  local row = s.row + #lines - 1
  local col = (#lines == 1 and s.col or 0) + #lines[#lines]
  api.nvim_win_set_cursor(0, { row + 1, col })
  if full then
    b.sugg = nil
    clear_marks(bufnr)
    M.stats.accepted = M.stats.accepted + 1
    run_command(bufnr, s.client_id, it.command)
    return true
  end
  s.consumed = s.consumed .. chunk
  s.items = { it } -- the other items need not begin with the accepted text
  s.index = 1
  s.row, s.col = row, col
  s.prefix = get_line(bufnr, row):sub(1, col)
  s.tick = changedtick(bufnr)
  if not render(bufnr, s) then
    b.sugg = nil
  end
  return true
end

--- Shows the next (delta 1) or previous (-1) item. With a single item from an automatic
--- request it asks the server for more (an invoked request returns several).
function M.cycle(delta)
  local bufnr = api.nvim_get_current_buf()
  local b = buffers[bufnr]
  local s = b and b.sugg
  if not s then
    M.request(bufnr, 1)
    return
  end
  if #s.items == 1 then
    if s.trigger == 2 and s.consumed == "" then
      M.request(bufnr, 1)
    end
    return
  end
  local n = #s.items
  for step = 1, n - 1 do
    local i = (s.index - 1 + delta * step) % n + 1
    if s.items[i].ghost:sub(1, #s.consumed) == s.consumed then
      s.index = i
      render(bufnr, s)
      return
    end
  end
end

--- Starts handling insert-mode events of bufnr.
function M.attach(bufnr)
  local group = api.nvim_create_augroup("llmls_ghost_" .. bufnr, { clear = true })
  api.nvim_create_autocmd({ "TextChangedI", "TextChangedP" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      on_text_changed(bufnr)
    end,
  })
  api.nvim_create_autocmd("CursorMovedI", {
    group = group,
    buffer = bufnr,
    callback = function()
      on_cursor_moved(bufnr)
    end,
  })
  api.nvim_create_autocmd("InsertEnter", {
    group = group,
    buffer = bufnr,
    callback = function()
      buf_state(bufnr).last_tick = changedtick(bufnr)
      schedule_request(bufnr)
    end,
  })
  api.nvim_create_autocmd({ "InsertLeave", "BufLeave" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      M.dismiss(bufnr)
    end,
  })
  api.nvim_create_autocmd({ "BufUnload", "BufWipeout" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      M.detach(bufnr)
    end,
  })
end

--- Stops handling bufnr.
function M.detach(bufnr)
  M.dismiss(bufnr)
  buffers[bufnr] = nil
  pcall(api.nvim_del_augroup_by_name, "llmls_ghost_" .. bufnr)
end

--- Dismisses every suggestion (used when completion is switched off).
function M.dismiss_all()
  for bufnr in pairs(buffers) do
    M.dismiss(bufnr)
  end
end

return M
