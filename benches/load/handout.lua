-- wrk: each request hands out a crib to a different prepared infant (pairs.txt).
local pairs = {}
local counter = 0
local token = os.getenv("CRIBS_TOKEN")
local path = os.getenv("CRIBS_PAIRS")

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  for line in io.lines(path) do
    local f, i = line:match("(%d+) (%d+)")
    table.insert(pairs, {f, i})
  end
  n = 0
end

function request()
  -- threads take interleaved slices so no two requests share an infant
  local idx = (n * 64 + id) % #pairs + 1
  n = n + 1
  local p = pairs[idx]
  local body = string.format('{"family_id": %s, "infant_id": %s, "site_id": 1, "crib_model_id": 1}', p[1], p[2])
  return wrk.format("POST", "/api/v1/handouts", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end

function done(summary, latency, requests)
  io.write(string.format("LATENCY_P99_MS %.2f\n", latency:percentile(99) / 1000))
end
