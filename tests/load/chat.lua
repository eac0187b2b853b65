-- wrk script: POST one chat-completions request. LOAD_KEY = bearer key, LOAD_STREAM = 1 for a stream,
-- LOAD_MODEL = model name, LOAD_CHUNKS = content chunks the fake upstream streams.
local stream = os.getenv("LOAD_STREAM") == "1"
wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("LOAD_KEY") or "none")
wrk.body = '{"model":"' .. (os.getenv("LOAD_MODEL") or "load-model") .. '","stream":' .. (stream and "true" or "false")
  .. ',"max_tokens":' .. (os.getenv("LOAD_CHUNKS") or "24")
  .. ',"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say something about gateways."}]}'
