-- wrk script for bench/claim_rush.py.
-- HQ_MODE=hello: GET /healthz.
-- HQ_MODE=each: POST a claim for a person who has not asked before: wrk thread tid of part
--   HQ_PART (of HQ_PARTS servers) sends the tokens i of HQ_TOKENS with
--   i % (parts * threads) == part * threads + tid, each once; when its share runs out it sends
--   GET /healthz, counted as RAN_OUT (the run was too small: the round fails).
-- HQ_MODE=cycle: POST claims cycling through all tokens from an offset of its own (the same
--   person may ask again, and on another server at the same time: the exactness rush).
local mode = os.getenv("HQ_MODE") or "hello"
local release = os.getenv("HQ_RELEASE") or "1"
local nthreads = tonumber(os.getenv("HQ_THREADS") or "1")
local part = tonumber(os.getenv("HQ_PART") or "0")
local parts = tonumber(os.getenv("HQ_PARTS") or "1")
local body = '{"lat": 36.08, "lng": 111.52, "coord_system": "wgs84"}'
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  codes, tokens, counter = {}, {}, 0
  if mode == "each" then
    local i, slot, stride = 0, part * nthreads + tid, parts * nthreads
    for line in io.lines(os.getenv("HQ_TOKENS")) do
      if i % stride == slot then tokens[#tokens + 1] = line end
      i = i + 1
    end
  elseif mode == "cycle" then
    for line in io.lines(os.getenv("HQ_TOKENS")) do tokens[#tokens + 1] = line end
    counter = (part * nthreads + tid) * 7919
  end
end

local function claim(token)
  return wrk.format("POST", "/api/v1/releases/" .. release .. "/claims",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

function request()
  if mode == "hello" then return wrk.format("GET", "/healthz") end
  counter = counter + 1
  if mode == "each" then
    if counter > #tokens then return wrk.format("GET", "/healthz") end
    return claim(tokens[counter])
  end
  return claim(tokens[(counter % #tokens) + 1])
end

function response(status, headers, resp_body)
  local code
  if status == 200 then code = (mode == "hello") and "OK" or "RAN_OUT"
  elseif status == 201 then code = "CLAIMED"
  else code = string.match(resp_body, '"code": *"([A-Z_]+)"') or ("HTTP_" .. status) end
  codes[code] = (codes[code] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("codes")) do total[k] = (total[k] or 0) + v end
  end
  local parts_out = {}
  for k, v in pairs(total) do parts_out[#parts_out + 1] = string.format('"%s": %d', k, v) end
  io.write(string.format(
    'HQRESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"socket_errors": %d, "codes": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts_out, ", ")))
end
