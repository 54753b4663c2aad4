-- POSTs one complete desk-QR submission per request, spread over many desk codes, each with its
-- own submission_id (the server stores a submission_id once and answers a repeat without storing).
--
--   wrk -s bench/wrk/submit.lua http://127.0.0.1:PORT -- CODES_FILE BODY_FILE RUN_PREFIX
--
-- CODES_FILE: one desk code a line; BODY_FILE: the form-encoded answers (lang, started, q_...)
-- without submission_id; RUN_PREFIX: [A-Za-z0-9]{8,}, unique to the run.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local codes, body, prefix
local counter = 0
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function init(args)
  codes = read_lines(args[1])
  body = read_file(args[2])
  prefix = args[3]
  counter = (tid or 1) * 7919 -- each thread starts at another desk
end

function request()
  counter = counter + 1
  local code = codes[counter % #codes + 1]
  local sid = string.format("%s-%d-%d", prefix, tid or 0, counter)
  return wrk.format("POST", "/s/" .. code, headers, body .. "&submission_id=" .. sid)
end
