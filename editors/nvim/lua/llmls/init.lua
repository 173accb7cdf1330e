-- llmls for Neovim: starts `llmls --stdio` through vim.lsp for the configured filetypes
-- (one client, so one model in memory, for all buffers), passes `settings` as
-- initializationOptions, and shows inline completions as ghost text: with the native
-- vim.lsp.inline_completion on Neovim 0.12+, with llmls.ghost before (0.7 to 0.11).
--
--   require("llmls").setup({ settings = { model = "/path/to/model.gguf" } })
--
-- Public functions: setup(opts), accept(kind), next(), prev(), trigger(), dismiss(),
-- toggle(enable?), restart(), update_settings(tbl), status(), statusline(), client().
local util = require("llmls.util")
local ghost = require("llmls.ghost")
local api = vim.api

local M = {}

-- Grey italics, as other ghost-text plugins draw it; a colorscheme or the user may override
-- it (highlight LlmlsGhostText ...).
local HIGHLIGHT = "highlight default LlmlsGhostText guifg=#808080 ctermfg=244 gui=italic cterm=italic"

--- Default options; see the README (editors/README.md) for each.
M.defaults = {
  -- The server command; nil: { bin, "--stdio" }.
  cmd = nil,
  bin = "llmls",
  -- Filetypes whose buffers get completions; "*" for every file buffer.
  filetypes = {
    "c", "cpp", "cs", "css", "go", "haskell", "html", "java", "javascript", "javascriptreact",
    "json", "kotlin", "lua", "make", "markdown", "ocaml", "php", "python", "ruby", "rust",
    "scala", "sh", "sql", "swift", "toml", "typescript", "typescriptreact", "vim", "yaml", "zig",
  },
  -- The server's settings (initializationOptions): model, draftModel, lora, backend, endpoint,
  -- remoteModel, fimFamily, maxTokens, contextTokens, debounceMs, threads, enabled, ...
  settings = {},
  -- Delay (ms) between the last insert-mode change and an automatic request.
  debounce_ms = 75,
  -- "auto": vim.lsp.inline_completion on Neovim 0.12+, the plugin's own ghost text before;
  -- false: always the plugin's own.
  native = "auto",
  -- Insert-mode keys; false disables one. accept falls through to the key's previous
  -- meaning when nothing is shown.
  keys = {
    accept = "<Tab>",
    accept_word = "<M-Right>",
    accept_line = "<M-C-Right>",
    next = "<M-]>",
    prev = "<M-[>",
    trigger = "<M-\\>",
    dismiss = "<C-]>",
  },
  -- Highlight group of ghost text (default: grey italic, LlmlsGhostText).
  hl_group = "LlmlsGhostText",
  -- Called with (client, bufnr) when a buffer is attached.
  on_attach = nil,
}

M.config = vim.deepcopy(M.defaults)

-- Client state: status is "off", "starting" (initialize sent; loading the model), "ready",
-- "loading" (settings change in progress) or "error".
local state = {
  client_id = nil,
  status = "off",
  message = "",
  enabled = true,
  server_info = nil,
  encoding = nil,
  attached = {},
  setup_done = false,
}

local function notify(msg, level)
  vim.schedule(function()
    vim.notify("llmls: " .. msg, level or vim.log.levels.INFO)
  end)
end

--- Whether the plugin's native path (vim.lsp.inline_completion) is used.
function M.native()
  if M.config.native == "auto" then
    return util.has.native_inline
  end
  return M.config.native == true and util.has.native_inline
end

--- The running llmls client, or nil.
function M.client()
  if not state.client_id then
    return nil
  end
  local c = vim.lsp.get_client_by_id(state.client_id)
  if c and util.client_call(c, "is_stopped") then
    return nil
  end
  return c
end

-- Settings as a JSON object: an empty Lua table would be sent as [], which is not one.
local function settings_object()
  local s = M.config.settings
  if type(s) ~= "table" or next(s) == nil then
    return vim.empty_dict()
  end
  return s
end

local function cmd()
  return M.config.cmd or { M.config.bin, "--stdio" }
end

local function filetype_enabled(ft)
  local fts = M.config.filetypes
  if fts == "*" then
    return ft ~= ""
  end
  for _, f in ipairs(type(fts) == "table" and fts or {}) do
    if f == ft or f == "*" then
      return ft ~= "" or f == "*"
    end
  end
  return false
end

-- Wraps a handler so that the plugin sees $/progress (model loads after a settings change)
-- and error log messages, then calls Neovim's own.
local function handlers()
  return {
    ["$/progress"] = function(err, result, ctx, config)
      local v = type(result) == "table" and result.value or nil
      if type(v) == "table" and ctx.client_id == state.client_id then
        if v.kind == "begin" then
          state.status, state.message = "loading", v.message or v.title or ""
        elseif v.kind == "end" then
          local failed = type(v.message) == "string" and v.message:match("^failed") ~= nil
          state.status, state.message = failed and "error" or "ready", v.message or ""
        end
      end
      local h = vim.lsp.handlers["$/progress"]
      if h then
        return h(err, result, ctx, config)
      end
    end,
    ["window/logMessage"] = function(err, result, ctx, config)
      if type(result) == "table" and result.type == 1 then -- Error
        state.last_log_error = result.message
        if state.status == "starting" and ctx.client_id == state.client_id then
          -- The settings (the model) failed: initialize will fail too, and Neovim < 0.10
          -- only raises a Lua error for that.
          state.status, state.message = "error", result.message
          notify(result.message .. " (settings: " .. vim.inspect(M.config.settings, { newline = " ", indent = "" }) .. ")", vim.log.levels.ERROR)
        end
      end
      return vim.lsp.handlers["window/logMessage"](err, result, ctx, config)
    end,
  }
end

-- Insert-mode keys: accept falls back to what the key did before (a previous mapping or the
-- key itself), so <Tab> still indents when no ghost text is shown.
local function fallback(key, prev)
  local function feed(keys, remap)
    api.nvim_feedkeys(api.nvim_replace_termcodes(keys, true, false, true), remap and "mi" or "ni", false)
  end
  if prev and prev.lhs then
    if prev.callback then
      local r = prev.callback()
      if prev.expr == 1 and type(r) == "string" then
        feed(r, prev.noremap ~= 1)
      end
      return
    end
    local rhs = prev.rhs or ""
    if prev.expr == 1 then
      rhs = api.nvim_eval(rhs)
    end
    feed(rhs, prev.noremap ~= 1)
    return
  end
  feed(key, false)
end

--- Accepts the shown suggestion: kind "all" (default), "word" or "line". Returns false when
--- nothing is shown.
function M.accept(kind)
  kind = kind or "all"
  if M.native() then
    local ic = vim.lsp.inline_completion
    if kind == "all" then
      return ic.get() == true
    end
    return ic.get({
      on_accept = function(item)
        M._native_partial(item, kind)
        return nil
      end,
    }) == true
  end
  return ghost.accept(kind)
end

-- Partial accept on the native path: inserts the next word / line of the item's text at the
-- cursor (the whole item, replacing its range and running its command, when that is all that
-- is left).
function M._native_partial(item, kind)
  local bufnr = api.nvim_get_current_buf()
  local pos = api.nvim_win_get_cursor(0)
  local row, col = pos[1] - 1, pos[2]
  local line = api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  local text = util.insert_text(item.insert_text)
  local r = item.range
  local s, e = col, col
  if r and r.start and r.start.row == row then
    s = r.start.col
    e = (r.end_ and r.end_.row == row) and r.end_.col or col
  end
  local typed = line:sub(s + 1, col)
  if text:sub(1, #typed) ~= typed then
    return
  end
  local rest = text:sub(#typed + 1)
  local chunk = kind == "word" and util.next_word(rest) or util.next_line(rest)
  local full = chunk == rest
  local lines = util.split_lines(chunk)
  api.nvim_buf_set_text(bufnr, row, col, row, full and math.max(col, e) or col, lines)
  api.nvim_win_set_cursor(0, { row + #lines, (#lines == 1 and col or 0) + #lines[#lines] })
  if full and item.command then
    local client = vim.lsp.get_client_by_id(item.client_id)
    if client then
      client:exec_cmd(item.command, { bufnr = bufnr })
    end
  end
end

--- Shows the next suggestion.
function M.next()
  if M.native() then
    vim.lsp.inline_completion.select({ count = 1 })
  else
    ghost.cycle(1)
  end
end

--- Shows the previous suggestion.
function M.prev()
  if M.native() then
    vim.lsp.inline_completion.select({ count = -1 })
  else
    ghost.cycle(-1)
  end
end

--- Asks for a suggestion now (an invoked request: several items to cycle through).
function M.trigger()
  if not M.native() then
    ghost.request(api.nvim_get_current_buf(), 1)
  end
end

--- Hides the suggestion.
function M.dismiss()
  if not M.native() then
    ghost.dismiss(api.nvim_get_current_buf())
  end
end

local function map_keys(bufnr)
  local keys = M.config.keys or {}
  local function map(name, fn, desc)
    local lhs = keys[name]
    if not lhs then
      return
    end
    vim.keymap.set("i", lhs, fn, { buffer = bufnr, silent = true, desc = "llmls: " .. desc })
  end
  if keys.accept then
    -- The mapping in force before ours (buffer-local first), for the fall-through.
    local prev = vim.fn.maparg(keys.accept, "i", false, true)
    if type(prev) ~= "table" or vim.tbl_isempty(prev) or (prev.desc or ""):match("^llmls:") then
      prev = nil
    end
    map("accept", function()
      if not M.accept("all") then
        fallback(keys.accept, prev)
      end
    end, "accept the suggestion")
  end
  map("accept_word", function()
    M.accept("word")
  end, "accept the next word")
  map("accept_line", function()
    M.accept("line")
  end, "accept the next line")
  map("next", M.next, "next suggestion")
  map("prev", M.prev, "previous suggestion")
  if not M.native() then
    map("trigger", M.trigger, "ask for a suggestion")
    map("dismiss", M.dismiss, "dismiss the suggestion")
  end
end

local function on_attach(client, bufnr)
  state.attached[bufnr] = true
  if M.native() then
    vim.lsp.inline_completion.enable(state.enabled, { bufnr = bufnr, client_id = client.id })
  else
    ghost.attach(bufnr)
  end
  map_keys(bufnr)
  if M.config.on_attach then
    M.config.on_attach(client, bufnr)
  end
end

local function client_config()
  return {
    name = "llmls",
    cmd = cmd(),
    root_dir = (vim.uv or vim.loop).cwd(),
    init_options = settings_object(),
    settings = settings_object(),
    flags = { debounce_text_changes = 0 },
    handlers = handlers(),
    on_init = function(client, result)
      state.status, state.message = "ready", "model loaded"
      state.server_info = result and result.serverInfo
      state.encoding = client.offset_encoding
    end,
    on_error = function(code, err)
      state.status = "error"
      state.message = ("rpc error %s: %s"):format(tostring(code), vim.inspect(err))
    end,
    on_exit = function(code, signal, client_id)
      if client_id ~= nil and client_id ~= state.client_id then
        return
      end
      state.client_id = nil
      state.attached = {}
      if code ~= 0 or (signal or 0) ~= 0 or state.status == "starting" then
        state.status = "error"
        state.message = ("llmls exited (code %d, signal %d)%s; see :LspLog"):format(
          code or -1,
          signal or 0,
          state.last_log_error and (": " .. state.last_log_error) or ""
        )
        notify(state.message, vim.log.levels.ERROR)
      else
        state.status, state.message = "off", "stopped"
      end
    end,
    on_attach = on_attach,
  }
end

--- Attaches bufnr to the llmls client, starting it if needed.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  if not api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= "" then
    return
  end
  if not filetype_enabled(vim.bo[bufnr].filetype) then
    return
  end
  local exe = cmd()[1]
  if vim.fn.executable(exe) ~= 1 then
    if not state.warned_missing then
      state.warned_missing = true
      state.status, state.message = "error", exe .. " not found (set bin or cmd in setup, or put llmls on $PATH)"
      notify(state.message, vim.log.levels.ERROR)
    end
    return
  end
  local client = M.client()
  if client then
    if not vim.lsp.buf_is_attached(bufnr, client.id) then
      vim.lsp.buf_attach_client(bufnr, client.id)
    end
    return
  end
  state.status, state.message = "starting", "loading the model"
  state.last_log_error = nil
  local id
  if util.has.lsp_start then
    -- One client for every buffer and root: one model in memory.
    id = vim.lsp.start(client_config(), {
      bufnr = bufnr,
      reuse_client = function(c)
        return c.name == "llmls"
      end,
    })
  else
    id = vim.lsp.start_client(client_config())
  end
  if not id then
    state.status, state.message = "error", "could not start " .. table.concat(cmd(), " ")
    notify(state.message, vim.log.levels.ERROR)
    return
  end
  state.client_id = id
  if not vim.lsp.buf_is_attached(bufnr, id) then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

--- Switches completions on or off (enable nil: toggle).
function M.toggle(enable)
  if enable == nil then
    enable = not state.enabled
  end
  state.enabled = enable
  ghost.config.enabled = enable
  if M.native() then
    for bufnr in pairs(state.attached) do
      if api.nvim_buf_is_valid(bufnr) then
        vim.lsp.inline_completion.enable(enable, { bufnr = bufnr })
      end
    end
  elseif not enable then
    ghost.dismiss_all()
  end
  return enable
end

--- Stops the server and starts it again for the attached buffers (e.g. after rebuilding it).
function M.restart()
  local client = M.client()
  local bufs = vim.tbl_keys(state.attached)
  if client then
    ghost.dismiss_all()
    state.client_id = nil
    util.client_call(client, "stop")
  end
  state.attached = {}
  state.warned_missing = false
  vim.defer_fn(function()
    for _, bufnr in ipairs(bufs) do
      M.attach(bufnr)
    end
    if #bufs == 0 then
      M.attach(api.nvim_get_current_buf())
    end
  end, 200)
end

--- Replaces settings keys and sends them to the server (workspace/didChangeConfiguration;
--- the server reloads the model when model, draftModel, lora, backend... changed).
function M.update_settings(tbl)
  M.config.settings = vim.tbl_deep_extend("force", M.config.settings or {}, tbl or {})
  local client = M.client()
  if client then
    util.client_call(client, "notify", "workspace/didChangeConfiguration", { settings = settings_object() })
  end
end

--- A table describing the client for :LlmlsStatus and :checkhealth.
function M.status()
  local client = M.client()
  local status = state.status
  if status == "ready" and ghost.stats.in_flight > 0 then
    status = "busy"
  end
  return {
    status = status,
    message = state.message,
    enabled = state.enabled,
    native = M.native(),
    cmd = cmd(),
    client_id = client and client.id or nil,
    server = state.server_info,
    encoding = client and client.offset_encoding or state.encoding,
    model = (M.config.settings or {}).model,
    attached = vim.tbl_keys(state.attached),
    stats = ghost.stats,
    last_log_error = state.last_log_error,
  }
end

--- A short string for the statusline, e.g. "llmls: ready".
function M.statusline()
  local s = M.status()
  if not s.enabled then
    return "llmls: off"
  end
  return "llmls: " .. s.status
end

local function print_status()
  local s = M.status()
  local lines = {
    ("llmls %s%s"):format(s.status, s.message ~= "" and (" (" .. s.message .. ")") or ""),
    ("  completions: %s, ghost text: %s"):format(
      s.enabled and "on" or "off",
      s.native and "vim.lsp.inline_completion (native)" or "llmls.ghost (plugin)"
    ),
    ("  command: %s"):format(table.concat(s.cmd, " ")),
    ("  server: %s, client id %s, position encoding %s"):format(
      s.server and (s.server.name .. " " .. (s.server.version or "")) or "-",
      tostring(s.client_id or "-"),
      tostring(s.encoding or "-")
    ),
    ("  model: %s"):format(s.model or "(the server's default: embedded model, $LLMLS_MODEL or config.toml)"),
    ("  buffers: %s"):format(#s.attached > 0 and table.concat(vim.tbl_map(tostring, s.attached), " ") or "none"),
  }
  if not s.native then
    local st = s.stats
    table.insert(
      lines,
      ("  requests: %d sent, %d answered, %d shown, %d accepted; last answer %s"):format(
        st.requests,
        st.answered,
        st.shown,
        st.accepted,
        st.last_ms and (st.last_ms .. " ms") or "-"
      )
    )
    if st.last_error then
      table.insert(lines, "  last error: " .. st.last_error)
    end
  end
  if s.last_log_error then
    table.insert(lines, "  last server error: " .. s.last_log_error)
  end
  api.nvim_echo({ { table.concat(lines, "\n") } }, true, {})
end

--- Configures the plugin and attaches to the buffers of the configured filetypes.
function M.setup(opts)
  opts = opts or {}
  local cfg = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts)
  -- Lists replace the defaults instead of merging with them by index.
  if opts.filetypes then
    cfg.filetypes = opts.filetypes
  end
  if opts.cmd then
    cfg.cmd = opts.cmd
  end
  if opts.settings then
    cfg.settings = vim.deepcopy(opts.settings)
  end
  M.config = cfg
  ghost.config.debounce_ms = cfg.debounce_ms
  ghost.config.hl_group = cfg.hl_group
  ghost.config.enabled = state.enabled
  ghost.get_client = function(bufnr)
    local c = M.client()
    if c and state.status ~= "starting" and vim.lsp.buf_is_attached(bufnr, c.id) then
      return c
    end
    return nil
  end
  vim.cmd(HIGHLIGHT)

  local group = api.nvim_create_augroup("llmls", { clear = true })
  api.nvim_create_autocmd("FileType", {
    group = group,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  api.nvim_create_autocmd("ColorScheme", {
    group = group,
    command = HIGHLIGHT,
  })
  api.nvim_create_user_command("LlmlsStatus", print_status, { desc = "llmls: show the client's state" })
  api.nvim_create_user_command("LlmlsToggle", function()
    local on = M.toggle()
    api.nvim_echo({ { "llmls: completions " .. (on and "on" or "off") } }, false, {})
  end, { desc = "llmls: switch completions on or off" })
  api.nvim_create_user_command("LlmlsRestart", M.restart, { desc = "llmls: restart the server" })
  state.setup_done = true

  for _, bufnr in ipairs(api.nvim_list_bufs()) do
    if api.nvim_buf_is_loaded(bufnr) then
      M.attach(bufnr)
    end
  end
end

return M
