-- POST /v1/fills with a distinct (order, worker) pair per request: orders O9xxxxx are one-day
-- orders on distinct days, so every pair is a valid placement.
-- args: workers (comma list), number of orders, number of wrk threads
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  workers = {}
  for w in string.gmatch(args[1], "[^,]+") do table.insert(workers, w) end
  norders = tonumber(args[2])
  nthreads = tonumber(args[3])
  counter = 0
end
function request()
  local k = counter * nthreads + tid
  counter = counter + 1
  local w = workers[(k % #workers) + 1]
  local o = math.floor(k / #workers) % norders
  local body = string.format('{"order_id":"O9%05d","worker_ids":["%s"]}', o, w)
  return wrk.format("POST", "/v1/fills", {["Content-Type"] = "application/json"}, body)
end
