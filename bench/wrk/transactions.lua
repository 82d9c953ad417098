-- wrk script: POST /v1/transactions, one single-row insert per request, every key unique.
-- Usage: wrk -t2 -c16 -d10s -s bench/wrk/transactions.lua http://127.0.0.1:8080 -- RUN_PREFIX
-- (RUN_PREFIX keeps keys unique across runs against the same database; the table is the demo
-- schema's machines.)
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  n = 0
  prefix = (args[1] or tostring(os.time())) .. "-" .. tid .. "-"
end

function request()
  n = n + 1
  local body = '[["INSERT INTO machines (id, region) VALUES (?, ?)", ["' .. prefix .. n .. '", "ams"]]]'
  return wrk.format("POST", "/v1/transactions", { ["Content-Type"] = "application/json" }, body)
end
