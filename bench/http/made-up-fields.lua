-- wrk script: POST a scoring body with one field of a name made up afresh per request (each refused with 400); with WRK_KEY
local key = os.getenv("WRK_KEY")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if key and key ~= "" then wrk.headers["x-api-key"] = key end
math.randomseed(os.time())
local n = 0
request = function()
  n = n + 1
  local name = string.format("f%08x%06d", math.random(0, 0x7fffffff), n)
  local body = '{"patientId":"MRN-1","features":{"' .. name .. '":1}}'
  return wrk.format(nil, nil, nil, body)
end
