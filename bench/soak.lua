-- wrk script for bench/soak: cycles through the cases that bench/soak writes
-- to a Lua file (passed as the first script argument) and checks every
-- response's status and Access-Control-Allow-Origin against its case.
-- Requests carry "X-Soak-Case: N"; the gateway echoes it back, so a response
-- is checked against the case that produced it whatever the connection.
-- (wrk keeps one value per header name, so duplicated headers are checked by
-- bench/soak's own sampler, not here.)

local cases = {}
local counter = 0
-- Globals, so that done() can read them from each thread with thread:get().
checked = 0
mismatches = 0
first_mismatch = ""
local threads = {}

function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   cases = dofile(args[1])
   counter = tonumber(args[2] or "0") + (wrk.thread:get("id") or 0)
end

function request()
   counter = counter + 1
   local index = (counter % #cases) + 1
   local case = cases[index]
   local headers = { ["X-Soak-Case"] = tostring(index) }
   for name, value in pairs(case.headers) do
      headers[name] = value
   end
   return wrk.format(case.method, case.path, headers, nil)
end

local function note(text)
   mismatches = mismatches + 1
   if first_mismatch == "" then
      first_mismatch = text
   end
end

function response(status, headers, body)
   checked = checked + 1
   local lower = {}
   for name, value in pairs(headers) do
      lower[string.lower(name)] = value
   end
   local index = tonumber(lower["x-soak-case"] or "")
   local case = index and cases[index]
   if not case then
      note("status " .. status .. " without a known X-Soak-Case")
      return
   end
   if status ~= case.status then
      note(case.name .. ": status " .. status .. ", expected " .. case.status)
   end
   local acao = lower["access-control-allow-origin"]
   if case.acao then
      if acao ~= case.acao then
         note(case.name .. ": ACAO " .. tostring(acao) .. ", expected " .. case.acao)
      end
      if lower["access-control-allow-credentials"] ~= "true" then
         note(case.name .. ": no Access-Control-Allow-Credentials")
      end
   else
      for name, _ in pairs(lower) do
         if string.sub(name, 1, 15) == "access-control-" then
            note(case.name .. ": unexpected " .. name)
            break
         end
      end
   end
   if case.vary and not string.find(string.lower(lower["vary"] or ""), "origin", 1, true) then
      note(case.name .. ": Vary lacks Origin")
   end
end

function done(summary, latency, requests)
   local total_checked, total_mismatches, first = 0, 0, ""
   for _, thread in ipairs(threads) do
      total_checked = total_checked + (thread:get("checked") or 0)
      total_mismatches = total_mismatches + (thread:get("mismatches") or 0)
      local f = thread:get("first_mismatch") or ""
      if first == "" and f ~= "" then
         first = f
      end
   end
   io.write(string.format("SOAK-LUA checked=%d mismatches=%d p50_us=%d p99_us=%d max_us=%d first=%s\n",
      total_checked, total_mismatches, latency:percentile(50), latency:percentile(99),
      latency.max, first))
end
