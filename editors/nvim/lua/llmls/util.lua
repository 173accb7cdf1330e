-- Pure helpers of the llmls client: LSP position conversion (UTF-8 / UTF-16 / UTF-32 code
-- units <-> byte columns), the partial-accept chunking of ghost text, tab expansion for
-- virtual text, and Neovim version / API differences. Nothing here touches editor state, so
-- tests/unit.lua checks every function directly.
local M = {}

--- Returns the byte length of the UTF-8 sequence starting with byte b (1 for an invalid lead
--- byte, so that malformed text still advances).
local function seq_len(b)
  if b < 0x80 then
    return 1
  elseif b >= 0xF0 and b < 0xF8 then
    return 4
  elseif b >= 0xE0 then
    return b < 0xF0 and 3 or 1
  elseif b >= 0xC0 then
    return 2
  end
  return 1
end

--- Number of code units the character of byte length n counts in encoding.
local function units(n, encoding)
  if encoding == "utf-8" then
    return n
  elseif encoding == "utf-32" then
    return 1
  end
  return n == 4 and 2 or 1 -- utf-16: a 4-byte sequence is a surrogate pair
end

--- Converts a byte column of line (0-based, in [0, #line]) to an LSP character offset in
--- encoding ("utf-8", "utf-16" or "utf-32"). A column inside a character counts the whole
--- character before it.
---@param line string
---@param col integer bytes
---@param encoding string
---@return integer code units
function M.byte_to_char(line, col, encoding)
  if encoding == "utf-8" then
    return math.min(col, #line)
  end
  local i, n = 1, 0
  while i <= col and i <= #line do
    local len = seq_len(line:byte(i))
    if i + len - 1 > col then
      break
    end
    n = n + units(len, encoding)
    i = i + len
  end
  return n
end

--- Converts an LSP character offset in encoding to a byte column of line (0-based). An offset
--- past the end of the line gives #line (LSP: "defaults back to the line length"); one inside
--- a surrogate pair gives the start of that character.
---@param line string
---@param char integer code units
---@param encoding string
---@return integer bytes
function M.char_to_byte(line, char, encoding)
  if encoding == "utf-8" then
    return math.max(0, math.min(char, #line))
  end
  local i, n = 1, 0
  while i <= #line do
    local len = seq_len(line:byte(i))
    local u = units(len, encoding)
    if n + u > char then
      return i - 1
    end
    n = n + u
    i = i + len
  end
  return #line
end

--- Splits text on "\n" into lines (a final "\n" gives a final empty line, as
--- nvim_buf_set_text expects).
---@param text string
---@return string[]
function M.split_lines(text)
  local lines, start = {}, 1
  while true do
    local nl = text:find("\n", start, true)
    if not nl then
      table.insert(lines, text:sub(start))
      return lines
    end
    table.insert(lines, text:sub(start, nl - 1))
    start = nl + 1
  end
end

--- The next chunk of ghost text accepted by "accept word": leading blanks plus one run of
--- word characters (letters, digits, _ and non-ASCII) or one run of punctuation; at a line
--- break, the break plus the next line's indentation.
---@param ghost string
---@return string chunk, a non-empty prefix of ghost (ghost itself when it is one word)
function M.next_word(ghost)
  if ghost == "" then
    return ""
  end
  local nl = ghost:match("^\r?\n[ \t]*")
  if nl then
    return nl
  end
  local w = ghost:match("^[ \t]*[%w_\128-\255]+") or ghost:match("^[ \t]*[^%w_\128-\255%s]+") or ghost:match("^[ \t]+")
  return w or ghost:sub(1, 1)
end

--- The next chunk of ghost text accepted by "accept line": the rest of the current line,
--- plus the line break when more lines follow (so that the cursor lands on the next line);
--- at a line break, the break plus the next line.
---@param ghost string
---@return string chunk
function M.next_line(ghost)
  local nl = ghost:find("\n", 1, true)
  if not nl then
    return ghost
  end
  if nl == 1 or (nl == 2 and ghost:sub(1, 1) == "\r") then
    local nl2 = ghost:find("\n", nl + 1, true)
    return nl2 and ghost:sub(1, nl2) or ghost
  end
  return ghost:sub(1, nl)
end

--- Expands tabs of s to spaces as they would display starting at screen column vcol
--- (0-based) with the given tabstop, because virtual text draws a tab as one cell.
---@param s string
---@param vcol integer
---@param tabstop integer
---@return string
function M.expand_tabs(s, vcol, tabstop)
  if not s:find("\t", 1, true) then
    return s
  end
  tabstop = tabstop > 0 and tabstop or 8
  local out, col = {}, vcol
  for ch in s:gmatch("[%z\1-\127\194-\244][\128-\191]*") do
    if ch == "\t" then
      local n = tabstop - (col % tabstop)
      table.insert(out, string.rep(" ", n))
      col = col + n
    else
      table.insert(out, ch)
      col = col + 1
    end
  end
  return table.concat(out)
end

--- The text an inline completion item inserts: insertText when it is a string, the snippet's
--- text with its tab stops and placeholders reduced to their defaults otherwise.
---@param insert_text string|table
---@return string
function M.insert_text(insert_text)
  if type(insert_text) == "string" then
    return insert_text
  end
  local v = type(insert_text) == "table" and insert_text.value or ""
  v = v:gsub("%${%d+:([^}]*)}", "%1"):gsub("%${%d+}", ""):gsub("%$%d+", "")
  return (v:gsub("\\([%$}\\])", "%1"))
end

--- Neovim version checks, done once.
M.has = {
  inline_virt_text = vim.fn.has("nvim-0.10") == 1, -- virt_text_pos = "inline"
  lsp_start = vim.fn.has("nvim-0.8") == 1, -- vim.lsp.start
  client_methods = vim.fn.has("nvim-0.11") == 1, -- client:request(...) instead of client.request(...)
  native_inline = vim.fn.has("nvim-0.12") == 1 and vim.lsp.inline_completion ~= nil,
  vim_health = vim.health ~= nil and vim.health.start ~= nil, -- 0.10 names (0.9 had report_*)
}

--- Calls a method of an LSP client object: a method (client:name(...)) on Neovim 0.11+, a
--- closure field (client.name(...)) before.
function M.client_call(client, name, ...)
  if M.has.client_methods then
    return client[name](client, ...)
  end
  return client[name](...)
end

return M
