-- wrk script for the Missive submission benchmark (driven by bench/bench.py).
--
-- Every request is the same POST of a body that bench.py prepared in a file: the REST
-- multipart/form-data submission (envelope JSON + ~100 KB PDF), or the SOAP 1.1
-- SubmitLetter envelope with the PDF inline (base64) or as an MTOM/XOP package.
-- Environment:
--   BENCH_BODY          path of the request body (bytes sent as they are)
--   BENCH_CONTENT_TYPE  Content-Type header of that body
--   BENCH_AUTHORIZATION Authorization header ("Bearer mk_..." or "Basic ...")
--   BENCH_SOAP_ACTION   SOAPAction header (SOAP 1.1 only; unset for REST)
--   BENCH_PATH          /v1/envelopes, /v1/sandbox/noop or /soap
--
-- done() prints one line `BENCH_RESULT {json}` with requests/s, latency percentiles and
-- the number of 2xx / non-2xx answers (counted per thread in response()); a SOAP fault is
-- an HTTP 500, so it counts as non-2xx like any REST error.

local body_path = assert(os.getenv("BENCH_BODY"), "BENCH_BODY not set")
local content_type = assert(os.getenv("BENCH_CONTENT_TYPE"), "BENCH_CONTENT_TYPE not set")
local authorization = assert(os.getenv("BENCH_AUTHORIZATION"), "BENCH_AUTHORIZATION not set")
local soap_action = os.getenv("BENCH_SOAP_ACTION")
local path = assert(os.getenv("BENCH_PATH"), "BENCH_PATH not set")

local f = assert(io.open(body_path, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.path = path
wrk.body = body
wrk.headers["Content-Type"] = content_type
wrk.headers["Authorization"] = authorization
if soap_action and soap_action ~= "" then
  wrk.headers["SOAPAction"] = soap_action
end

-- Per-thread counters (each wrk thread has its own Lua state).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  bad = 0
  statuses = ""
end

-- A well-behaved client: after a 503 with Retry-After (the hub is busy working off a
-- backlog, or cannot store now), the connection waits that long before its next request.
local backoff_ms = 0
function delay()
  local wait = backoff_ms
  backoff_ms = 0
  return wait
end

local seen = {}
function response(status, headers, resp_body)
  if status == 503 then
    local after = tonumber(headers["Retry-After"] or headers["retry-after"] or "")
    if after then backoff_ms = math.floor(after * 1000) end
  end
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    bad = bad + 1
    seen[status] = (seen[status] or 0) + 1
    -- flatten into a string so done() can read it via thread:get()
    local parts = {}
    for code, n in pairs(seen) do table.insert(parts, string.format('"%d":%d', code, n)) end
    statuses = table.concat(parts, ",")
  end
end

function done(summary, latency, requests)
  local ok_total, bad_total, status_parts = 0, 0, {}
  for _, t in ipairs(threads) do
    ok_total = ok_total + (t:get("ok") or 0)
    bad_total = bad_total + (t:get("bad") or 0)
    local s = t:get("statuses")
    if s and s ~= "" then table.insert(status_parts, "{" .. s .. "}") end
  end
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"path":"%s","requests":%d,"seconds":%.3f,"rps":%.2f,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,' ..
    '"ok":%d,"non2xx":%d,"non2xx_by_thread":[%s],' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"bytes":%d}\n',
    path, summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000,
    ok_total, bad_total, table.concat(status_parts, ","),
    e.connect, e.read, e.write, e.timeout, summary.bytes))
end
