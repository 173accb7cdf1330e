-- :checkhealth llmls
local M = {}

-- vim.health (0.10) or the older report_* names (0.7 to 0.9).
local function reporter()
  if vim.health and vim.health.start then
    return vim.health
  end
  local h = vim.health or require("health")
  return {
    start = h.report_start,
    ok = h.report_ok,
    warn = h.report_warn,
    error = h.report_error,
    info = h.report_info,
  }
end

function M.check()
  local h = reporter()
  local llmls = require("llmls")
  local util = require("llmls.util")
  h.start("llmls")
  local v = vim.version()
  local vs = ("%d.%d.%d"):format(v.major, v.minor, v.patch)
  if vim.fn.has("nvim-0.7") == 1 then
    h.ok(("Neovim %s; ghost text: %s"):format(
      vs,
      llmls.native() and "vim.lsp.inline_completion (native)" or "the plugin's own (extmarks)"
    ))
  else
    h.error("Neovim " .. vs .. " is too old: llmls needs 0.7 or later")
  end
  if not util.has.inline_virt_text then
    h.info("Neovim < 0.10 has no inline virtual text: ghost text is drawn over the rest of the line")
  end

  local cmd = llmls.config.cmd or { llmls.config.bin, "--stdio" }
  local exe = vim.fn.exepath(cmd[1])
  if exe == "" then
    h.error(cmd[1] .. " not found", {
      "Build it (make build in the llmls repository) and put bin/llmls on $PATH, or",
      "pass bin = '/path/to/llmls' to require('llmls').setup()",
    })
  else
    local out = vim.fn.system({ exe, "version" })
    if vim.v.shell_error == 0 then
      h.ok(("%s (%s)"):format(exe, vim.trim(out)))
    else
      h.ok(exe)
    end
  end

  local settings = llmls.config.settings or {}
  for _, key in ipairs({ "model", "draftModel" }) do
    local p = settings[key]
    if type(p) == "string" and p ~= "" and p ~= "none" then
      if vim.fn.filereadable(vim.fn.expand(p)) == 1 then
        h.ok(key .. ": " .. p)
      else
        h.error(key .. ": " .. p .. " is not a readable file")
      end
    end
  end
  if not settings.model then
    h.info("model: not set; the server uses $LLMLS_MODEL, ~/.config/llmls/config.toml or its embedded model")
  end

  local s = llmls.status()
  if s.status == "ready" or s.status == "busy" then
    h.ok(("server running (client %d, %s, position encoding %s)"):format(
      s.client_id,
      s.server and (s.server.name .. " " .. (s.server.version or "")) or "?",
      tostring(s.encoding)
    ))
  elseif s.status == "error" then
    h.error("server: " .. s.message, { "See :LspLog for the server's stderr" })
  elseif s.status == "off" then
    h.info("server not started: open a file of a configured filetype")
  else
    h.info("server " .. s.status .. ": " .. s.message)
  end
  if not s.enabled then
    h.warn("completions are switched off (:LlmlsToggle)")
  end
  if s.last_log_error then
    h.warn("last server error: " .. s.last_log_error)
  end
end

return M
