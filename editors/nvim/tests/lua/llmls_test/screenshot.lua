-- Drives Neovim for tests/screenshot.sh: opens the demo file, types in insert mode, waits
-- for ghost text, then writes $LLMLS_SHOT_DONE so that the script takes the picture.
local M = {}

function M.run()
  local h = require("llmls_test.harness")
  local api = vim.api
  vim.o.number = true
  vim.o.laststatus = 2
  vim.o.showmode = true
  vim.o.background = "dark"
  vim.cmd("syntax on")
  vim.o.statusline = "%f %= %{luaeval('require(\"llmls\").statusline()')}  %l:%c "
  local model = os.getenv("LLMLS_TEST_MODEL")
  require("llmls").setup({
    bin = os.getenv("LLMLS_BIN"),
    settings = (model and model ~= "") and { model = model } or {},
  })
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("LLMLS_TEST_FILE")))
  vim.bo.expandtab = false
  vim.bo.tabstop = 4
  local co = coroutine.create(function()
    h.wait_until("the model", 30000, function()
      return require("llmls").status().status == "ready"
    end)
    local row = tonumber(os.getenv("LLMLS_SHOT_LINE") or "31")
    api.nvim_buf_set_lines(0, row - 1, row, false, { os.getenv("LLMLS_SHOT_TEXT") or "\t" })
    api.nvim_win_set_cursor(0, { row, 0 })
    h.feed(os.getenv("LLMLS_SHOT_KEYS") or "A")
    h.wait_until("ghost text", 20000, function()
      return #api.nvim_buf_get_extmarks(0, require("llmls.ghost").ns, 0, -1, {}) > 0
    end)
    vim.cmd("redraw")
    h.sleep(300)
    vim.fn.writefile({ "done" }, os.getenv("LLMLS_SHOT_DONE"))
  end)
  -- The harness's resume is private: drive this coroutine with its own scheduler.
  h.drive(co)
end

return M
