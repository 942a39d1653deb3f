-- wrk script: POST the body in the file named by WRK_BODY, with the API key in WRK_KEY (if any).
local f = assert(io.open(os.getenv("WRK_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("WRK_KEY")
if key and key ~= "" then
  wrk.headers["x-api-key"] = key
end

