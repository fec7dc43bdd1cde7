-- wrk: a GET with the bearer token; prints p99 in ms.
local token = os.getenv("CRIBS_TOKEN")
wrk.headers["Authorization"] = "Bearer " .. (token or "")
function done(summary, latency, requests)
  io.write(string.format("LATENCY_P99_MS %.2f\n", latency:percentile(99) / 1000))
end
