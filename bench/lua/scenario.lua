-- One wrk script for every HTTP scenario, configured by environment variables:
--   BENCH_METHOD   GET (default), POST, PATCH
--   BENCH_PATHS    file: request paths, one per line (picked at random per request)
--   BENCH_TOKENS   file: Authorization values, one per line (optional, random per request)
--   BENCH_BODIES   file: request bodies, one per line (optional, random per request)
--   BENCH_BODY     file: one request body, the whole file (multipart uploads)
--   BENCH_CTYPE    Content-Type of the body
-- done() prints one line "BENCH_JSON {...}" that bench/wrk.py parses.

local function lines(path)
  local out = {}
  if path == nil or path == "" then return out end
  for line in io.lines(path) do
    if line ~= "" then out[#out + 1] = line end
  end
  return out
end

local function slurp(path)
  if path == nil or path == "" then return nil end
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

local method = os.getenv("BENCH_METHOD") or "GET"
local paths = lines(os.getenv("BENCH_PATHS"))
local tokens = lines(os.getenv("BENCH_TOKENS"))
local bodies = lines(os.getenv("BENCH_BODIES"))
local body = slurp(os.getenv("BENCH_BODY"))
local ctype = os.getenv("BENCH_CTYPE")
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0))
end

function request()
  local headers = {}
  if #tokens > 0 then headers["Authorization"] = tokens[math.random(#tokens)] end
  local b = body
  if #bodies > 0 then b = bodies[math.random(#bodies)] end
  if b ~= nil and ctype ~= nil then headers["Content-Type"] = ctype end
  return wrk.format(method, paths[math.random(#paths)], headers, b)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
