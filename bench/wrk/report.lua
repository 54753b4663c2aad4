-- Shared by the benchmark's wrk scripts: counts every response by status in each thread and,
-- when the run ends, prints one line "WRK_JSON {...}" that bench/load_submissions.py reads:
-- requests, duration, socket errors, the count per status and latency percentiles (µs).

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

statuses = {}

-- Staggered start: wrk opens every connection in the same millisecond, and a server answers that
-- first burst (all N first requests queued at once) with a one-off queue that dominates a short
-- round's p99 although no later request waits as long. A desk population does not arrive in
-- one instant, so each connection's first request waits a random 0..WRK_STAGGER_MS ms (unset or
-- 0: no wait, the burst). wrk takes a request's start time after this wait, so the wait itself
-- is not counted in the latency. WRK_FIRST is the number of connections of one thread.
local stagger_ms = tonumber(os.getenv("WRK_STAGGER_MS") or "0") or 0
local first_requests = tonumber(os.getenv("WRK_FIRST") or "0") or 0
local started = 0

if stagger_ms > 0 then
  function delay()
    if started < first_requests then
      started = started + 1
      return math.random(0, stagger_ms)
    end
    return 0
  end
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

-- Reads a file of lines (desk codes), skipping blank ones.
function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then
      table.insert(lines, line)
    end
  end
  assert(#lines > 0, "no lines in " .. path)
  return lines
end

function read_file(path)
  local handle = assert(io.open(path, "rb"))
  local text = handle:read("*a")
  handle:close()
  return (text:gsub("%s+$", ""))
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for key, n in pairs(counts) do
      total[key] = (total[key] or 0) + n
    end
  end
  local parts = {}
  for key, n in pairs(total) do
    table.insert(parts, string.format('"%s": %d', key, n))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"statuses": {%s}, "latency_us": {"p50": %d, "p90": %d, "p99": %d, "mean": %.1f, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(parts, ", "),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max
  ))
end
