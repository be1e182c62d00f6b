-- wrk script for scripts/bench: POSTs one img2img JSON body (read from a file) with the
-- Authorization and Content-Type headers.
--   wrk ... -s submit.lua http://127.0.0.1:PORT/v3/async/img2img -- BODY_FILE KEY [PER_THREAD_LIMIT]
-- With PER_THREAD_LIMIT, each wrk thread stops once it has that many responses (requests already
-- in flight on its other connections still complete, so the total can overshoot by up to -c).

local limit = 0
local seen = 0

function init(args)
   local file = assert(io.open(args[1], "rb"), "cannot open the body file " .. tostring(args[1]))
   wrk.body = file:read("*a")
   file:close()
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Authorization"] = "Bearer " .. (args[2] or "bench-key")
   limit = tonumber(args[3] or "0") or 0
end

function response(status, headers, body)
   seen = seen + 1
   if limit > 0 and seen >= limit then
      wrk.thread:stop()
   end
end
