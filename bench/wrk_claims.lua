-- wrk script for bench/claim_rush.py. HQ_MODE=hello: GET /healthz. HQ_MODE=claim: POST a claim
-- with one verified consumer's bearer token after another (HQ_TOKENS: a file, one per line).
local mode = os.getenv("HQ_MODE") or "hello"
local release = os.getenv("HQ_RELEASE") or "1"
local body = '{"lat": 36.08, "lng": 111.52, "coord_system": "wgs84"}'
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  thread:set("nthreads", 0)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  codes = {}
  tokens = {}
  if mode == "claim" then
    for line in io.lines(os.getenv("HQ_TOKENS")) do tokens[#tokens + 1] = line end
  end
  counter = tid * 7919
end

function request()
  if mode == "hello" then
    return wrk.format("GET", "/healthz")
  end
  counter = counter + 1
  local token = tokens[(counter % #tokens) + 1]
  return wrk.format("POST", "/api/v1/releases/" .. release .. "/claims",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, resp_body)
  local code
  if status == 200 then code = "OK"
  elseif status == 201 then code = "CLAIMED"
  else code = string.match(resp_body, '"code": *"([A-Z_]+)"') or ("HTTP_" .. status) end
  codes[code] = (codes[code] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("codes")
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do parts[#parts + 1] = string.format('"%s": %d', k, v) end
  io.write(string.format(
    'HQRESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"socket_errors": %d, "codes": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", ")))
end
