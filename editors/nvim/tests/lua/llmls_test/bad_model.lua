-- A model that does not load: the plugin's status says so, naming the file, instead of
-- waiting for the server forever (Neovim < 0.10 only raises a Lua error for a failed
-- initialize).
local h = require("llmls_test.harness")

local M = {}

function M.run()
  h.start(function()
    local llmls = require("llmls")
    local bad = "/nonexistent/llmls-test-model.gguf"
    llmls.setup({ bin = os.getenv("LLMLS_BIN"), settings = { model = bad } })
    vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("LLMLS_TEST_FILE")))
    h.wait_until("the error status", 20000, function()
      return llmls.status().status == "error"
    end)
    local s = llmls.status()
    h.check("the status message names the model file", s.message:find(bad, 1, true) ~= nil, s.message)
    h.check_eq("the statusline says error", llmls.statusline(), "llmls: error")
    local report = h.exec("LlmlsStatus")
    h.check(":LlmlsStatus shows the error", report:find("llmls error", 1, true) ~= nil, report)
  end, 30000)
end

return M
