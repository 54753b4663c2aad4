-- GETs the desk form page (/s/{code}), cycling over many desk codes, as a phone does after
-- scanning the QR code (with Accept-Encoding: gzip, so the server compresses the page).
--
--   wrk -s bench/wrk/form_page.lua http://127.0.0.1:PORT -- CODES_FILE

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local codes
local counter = 0
local headers = { ["Accept-Encoding"] = "gzip, deflate", ["Accept-Language"] = "vi" }

function init(args)
  codes = read_lines(args[1])
  counter = (tid or 1) * 7919
end

function request()
  counter = counter + 1
  return wrk.format("GET", "/s/" .. codes[counter % #codes + 1], headers)
end
