-- Replays pre-signed HTTP requests, each exactly once (every request has its own signature nonce, and a
-- refresh token can be spent only once). Thread N reads <dir>/requests-N.bin: raw HTTP/1.1 requests separated
-- by NUL bytes, written by bench/requests.ts. A thread stops when its requests run out; with `cycle` as the
-- second argument it starts again from the first (read-only requests, e.g. access-token checks).
-- At the end it prints one JSON line: counts and latency percentiles (microseconds).
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

local requests = {}
local index = 0
local cycle = false

function init(args)
  cycle = args[2] == "cycle"
  local file = assert(io.open(args[1] .. "/requests-" .. id .. ".bin", "rb"))
  local data = file:read("*a")
  file:close()
  local start = 1
  while true do
    local s = string.find(data, "\0", start, true)
    if not s then break end
    requests[#requests + 1] = string.sub(data, start, s - 1)
    start = s + 1
  end
end

function request()
  index = index + 1
  if index > #requests then
    if cycle then
      index = 1
    else
      wrk.thread:stop()
      index = #requests
    end
  end
  return requests[index]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"status_errors":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
