-- wrk: a GET with the bearer token CRIBS_TOKEN (none when unset); counts the answers by
-- status class and prints machine-readable lines for benches/load.sh.
local token = os.getenv("CRIBS_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, bad, first_bad = 0, 0, ""
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
  local total_ok, total_bad, first = 0, 0, ""
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_bad = total_bad + t:get("bad")
    if first == "" then first = t:get("first_bad") end
  end
  io.write(string.format("LATENCY_P50_MS %.2f\n", latency:percentile(50) / 1000))
  io.write(string.format("LATENCY_P99_MS %.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("ANSWERS_2XX %d\nANSWERS_OTHER %d\n", total_ok, total_bad))
  if first ~= "" then io.write("FIRST_OTHER " .. first:gsub("\n", " ") .. "\n") end
end
