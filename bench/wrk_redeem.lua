-- wrk script for bench/redeem.py.
-- HQ_MODE=hello: GET /healthz.
-- HQ_MODE=redeem: POST a sale; wrk thread tid scans the payment codes tid, tid+n, tid+2n, ... of
--   HQ_CODES (each once), tills (HQ_TOKENS) taking turns; when its share runs out it sends
--   GET /healthz, counted as RAN_OUT (the run was too small: the round fails).
local mode = os.getenv("HQ_MODE") or "hello"
local nthreads = tonumber(os.getenv("HQ_THREADS") or "1")
local run = os.getenv("HQ_RUN") or "0"
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  codes, tokens, paycodes, counter = {}, {}, {}, 0
  if mode == "redeem" then
    for line in io.lines(os.getenv("HQ_TOKENS")) do tokens[#tokens + 1] = line end
    local i = 0
    for line in io.lines(os.getenv("HQ_CODES")) do
      if i % nthreads == tid then paycodes[#paycodes + 1] = line end
      i = i + 1
    end
  end
end

function request()
  if mode == "hello" then return wrk.format("GET", "/healthz") end
  counter = counter + 1
  if counter > #paycodes then return wrk.format("GET", "/healthz") end
  local token = tokens[((counter * nthreads + tid) % #tokens) + 1]
  local body = '{"payment_code": "' .. paycodes[counter] .. '", "lines": [{"gtin": "' ..
    os.getenv("HQ_GTIN") .. '", "quantity": 1, "unit_price_fen": ' .. os.getenv("HQ_PRICE") ..
    ', "discount_fen": 0}]}'
  return wrk.format("POST", "/api/v1/merchant/redemptions",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json",
     ["Idempotency-Key"] = "bench-" .. run .. "-" .. tid .. "-" .. counter}, body)
end

function response(status, headers, resp_body)
  local code
  if status == 200 then code = (mode == "hello") and "OK" or "RAN_OUT"
  elseif status == 201 then code = "COMPLETED"
  else code = string.match(resp_body, '"code": *"([A-Z_]+)"') or ("HTTP_" .. status) end
  codes[code] = (codes[code] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("codes")) do total[k] = (total[k] or 0) + v end
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
