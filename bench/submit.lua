-- wrk script for the Missive submission benchmark (driven by bench/bench.py).
--
-- Every request is the same multipart/form-data POST: an `envelope` JSON part
-- {"recipient": <BENCH_RECIPIENT>} and a `document` part with the PDF at BENCH_PDF.
-- Environment:
--   BENCH_PDF        path of the PDF to send
--   BENCH_RECIPIENT  recipient JSON object (from sandbox.json)
--   BENCH_API_KEY    organisation API key
--   BENCH_PATH       /v1/envelopes (measured) or /v1/sandbox/noop (baseline)
--
-- done() prints one line `BENCH_RESULT {json}` with requests/s, latency percentiles and
-- the number of 2xx / non-2xx answers (counted per thread in response()).

local pdf_path = assert(os.getenv("BENCH_PDF"), "BENCH_PDF not set")
local recipient = assert(os.getenv("BENCH_RECIPIENT"), "BENCH_RECIPIENT not set")
local api_key = assert(os.getenv("BENCH_API_KEY"), "BENCH_API_KEY not set")
local path = os.getenv("BENCH_PATH") or "/v1/envelopes"

local f = assert(io.open(pdf_path, "rb"))
local pdf = f:read("*a")
f:close()

local boundary = "----missive-bench-5f2c9a7e1d"
local body = table.concat({
  "--", boundary, "\r\n",
  'Content-Disposition: form-data; name="envelope"\r\n',
  "Content-Type: application/json\r\n\r\n",
  '{"recipient":', recipient, '}', "\r\n",
  "--", boundary, "\r\n",
  'Content-Disposition: form-data; name="document"; filename="letter.pdf"\r\n',
  "Content-Type: application/pdf\r\n\r\n",
  pdf, "\r\n",
  "--", boundary, "--\r\n",
})

wrk.method = "POST"
wrk.path = path
wrk.body = body
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.headers["Authorization"] = "Bearer " .. api_key

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

local seen = {}
function response(status, headers, resp_body)
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
