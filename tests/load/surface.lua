-- wrk script: POST one request of an API surface, the same conversation on each (a system prompt and a question).
-- LOAD_SURFACE = chat | messages | responses, LOAD_STREAM = 1 for a stream, LOAD_KEY = bearer key,
-- LOAD_MODEL = model name. The fake upstream streams 24 content chunks (its default) for every surface.
local surface = os.getenv("LOAD_SURFACE") or "chat"
local stream = (os.getenv("LOAD_STREAM") == "1") and "true" or "false"
local model = os.getenv("LOAD_MODEL") or "load-model"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("LOAD_KEY") or "none")
if surface == "messages" then
  wrk.path = "/v1/messages"
  wrk.headers["anthropic-version"] = "2023-06-01"
  wrk.body = '{"model":"' .. model .. '","max_tokens":24,"stream":' .. stream
    .. ',"system":"You are terse.","messages":[{"role":"user","content":"Say something about gateways."}]}'
elseif surface == "responses" then
  wrk.path = "/v1/responses"
  wrk.body = '{"model":"' .. model .. '","max_output_tokens":24,"stream":' .. stream
    .. ',"store":false,"instructions":"You are terse.","input":"Say something about gateways."}'
else
  wrk.path = "/v1/chat/completions"
  wrk.body = '{"model":"' .. model .. '","max_tokens":24,"stream":' .. stream
    .. ',"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say something about gateways."}]}'
end

-- summary.errors.status counts non-2xx answers, so a refused request is never read as a fast one.
function done(summary, latency, requests)
  io.write(string.format("SURFACE_RESULT p50_us=%d p99_us=%d requests=%d non2xx=%d\n",
    latency:percentile(50), latency:percentile(99), summary.requests, summary.errors.status))
end
