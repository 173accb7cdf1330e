-- A small test harness for headless Neovim: the test body runs in a coroutine so that it can
-- wait (the event loop keeps running: keys fed with nvim_feedkeys are processed, LSP answers
-- arrive) and then check. Output: one line per check, then "N passed, N failed"; Neovim exits
-- with status 1 on any failure, an error or the watchdog's timeout.
local M = {}

local co
local passed, failed = 0, 0
local finished = false
local driving = false -- M.drive: no summary and no exit at the end

local function out(s)
  io.stdout:write(s .. "\n")
  io.stdout:flush()
end

local function finish(err)
  if finished then
    return
  end
  finished = true
  if err then
    failed = failed + 1
    out("FAIL: " .. tostring(err))
  end
  out(("%d passed, %d failed"):format(passed, failed))
  vim.schedule(function()
    if failed > 0 then
      vim.cmd("cquit 1")
    else
      vim.cmd("qall!")
    end
  end)
end

local function resume(...)
  if finished then
    return
  end
  local ok, err = coroutine.resume(co, ...)
  if driving then
    if not ok then
      out("error: " .. debug.traceback(co, err))
    end
  elseif not ok then
    finish(debug.traceback(co, err))
  elseif coroutine.status(co) == "dead" then
    finish()
  end
end

--- Runs the coroutine c with this harness's waits, without a watchdog or an exit at its end
--- (for scripts that keep the editor open, like the screenshot).
function M.drive(c)
  co = c
  driving = true
  vim.schedule(resume)
end

--- Runs fn in a coroutine; the whole run must end within timeout_ms (default 55 s).
function M.start(fn, timeout_ms)
  co = coroutine.create(fn)
  vim.defer_fn(function()
    finish(("watchdog: the test did not end within %d ms"):format(timeout_ms or 55000))
  end, timeout_ms or 55000)
  vim.schedule(resume)
end

--- Lets the event loop run for ms milliseconds.
function M.sleep(ms)
  vim.defer_fn(resume, ms)
  coroutine.yield()
end

--- Waits until cond() returns a true value (checked every 20 ms) and returns it; after
--- timeout_ms it fails the test, or returns nil when optional.
function M.wait_until(desc, timeout_ms, cond, optional)
  local deadline = (vim.uv or vim.loop).now() + timeout_ms
  while true do
    local v = cond()
    if v then
      return v
    end
    if (vim.uv or vim.loop).now() > deadline then
      if optional then
        out("  (gave up waiting for " .. desc .. ")")
        return nil
      end
      error(("timed out after %d ms waiting for %s"):format(timeout_ms, desc), 2)
    end
    M.sleep(20)
  end
end

--- Feeds keys as if typed (mappings apply), then lets them be processed.
function M.feed(keys, wait_ms)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), "mt", false)
  M.sleep(wait_ms or 40)
end

--- Runs an Ex command and returns its output (nvim_exec2 on 0.10+, nvim_exec before).
function M.exec(cmd)
  if vim.api.nvim_exec2 then
    return vim.api.nvim_exec2(cmd, { output = true }).output
  end
  return vim.api.nvim_exec(cmd, true)
end

--- Records a check.
function M.check(name, ok, detail)
  if ok then
    passed = passed + 1
    out("ok: " .. name)
  else
    failed = failed + 1
    out("FAIL: " .. name .. (detail ~= nil and (": " .. tostring(detail)) or ""))
  end
end

--- Records a check that got equals want (deep comparison).
function M.check_eq(name, got, want)
  M.check(name, vim.deep_equal(got, want), ("got %s, want %s"):format(vim.inspect(got), vim.inspect(want)))
end

return M
