-- POST /v1/embed of one phrase (a warm cache hit), optionally with an API key.
-- args: the key ("" or none: no Authorization header)
function init(args)
  headers = {["Content-Type"] = "application/json"}
  if args[1] ~= nil and args[1] ~= "" then headers["Authorization"] = "Bearer " .. args[1] end
  body = '{"input":"night shift forklift operator near Dayton"}'
end
function request()
  return wrk.format("POST", "/v1/embed", headers, body)
end
