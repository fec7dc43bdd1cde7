-- wrk: POST /api/v1/handouts, each request for a different prepared infant.
-- Environment: CRIBS_TOKEN (staff of the site), CRIBS_PAIRS (file of "family_id infant_id"
-- lines from prepare.py), CRIBS_SITE_ID, CRIBS_MODEL_ID, CRIBS_THREADS (wrk's -t).
-- Thread k of T sends pairs k, k+T, k+2T, … so no infant is ever sent twice. When a thread
-- runs out it sends family 0 instead (answered 404/422), counts that as EXHAUSTED, and the
-- run must then be reported as broken: prepare more infants.
local token = os.getenv("CRIBS_TOKEN")
local path = os.getenv("CRIBS_PAIRS")
local site_id = os.getenv("CRIBS_SITE_ID")
local model_id = os.getenv("CRIBS_MODEL_ID")
local nthreads = tonumber(os.getenv("CRIBS_THREADS"))

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  mine = {}
  local index = 0
  for line in io.lines(path) do
    local f, i = line:match("(%d+) (%d+)")
    if f then
      if index % nthreads == id - 1 then
        table.insert(mine, {f, i})
      end
      index = index + 1
    end
  end
  n, exhausted, ok, bad, first_bad = 0, 0, 0, 0, ""
  headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
end

function request()
  n = n + 1
  local p = mine[n]
  if p == nil then
    exhausted = exhausted + 1
    p = {"0", "0"}
  end
  local body = string.format('{"family_id": %s, "infant_id": %s, "site_id": %s, "crib_model_id": %s}',
    p[1], p[2], site_id, model_id)
  return wrk.format("POST", "/api/v1/handouts", headers, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    bad = bad + 1
    if first_bad == "" then
      first_bad = status .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

function done(summary, latency, requests)
  local total_ok, total_bad, total_exhausted, first = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_bad = total_bad + t:get("bad")
    total_exhausted = total_exhausted + t:get("exhausted")
    if first == "" then first = t:get("first_bad") end
  end
  io.write(string.format("LATENCY_P50_MS %.2f\n", latency:percentile(50) / 1000))
  io.write(string.format("LATENCY_P99_MS %.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("ANSWERS_2XX %d\nANSWERS_OTHER %d\nEXHAUSTED %d\n", total_ok, total_bad, total_exhausted))
  if first ~= "" then io.write("FIRST_OTHER " .. first:gsub("\n", " ") .. "\n") end
end
