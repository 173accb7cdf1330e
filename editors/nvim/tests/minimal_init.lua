-- Minimal Neovim configuration for the headless tests: only this plugin on 'runtimepath',
-- nothing written to the user's state (no swap, shada or undo files).
local here = debug.getinfo(1, "S").source:sub(2)
local plugin_root = vim.fn.fnamemodify(here, ":p:h:h")
vim.opt.runtimepath:prepend(plugin_root)
vim.opt.runtimepath:append(plugin_root .. "/tests")
vim.opt.swapfile = false
vim.opt.shadafile = "NONE"
vim.opt.undofile = false
vim.opt.more = false
vim.opt.showmode = false
vim.opt.shortmess:append("I")
vim.g.llmls_test_root = plugin_root
