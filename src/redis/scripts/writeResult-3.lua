--[[
  Stores the one result of a prompt and updates the batch counters, in one step. A second
  result for the same custom_id (a job run twice after a worker crash) changes nothing.

  KEYS[1] batch record hash
  KEYS[2] batch results hash (custom_id -> result JSON)
  KEYS[3] batch lines hash   (custom_id -> line number)

  ARGV[1] custom_id
  ARGV[2] result JSON
  ARGV[3] outcome counter: "succeeded" | "errored"
  ARGV[4] input tokens
  ARGV[5] output tokens
  ARGV[6] cache read tokens
  ARGV[7] cache write tokens
  ARGV[8] now, ms since the epoch

  Returns 0 when a result already existed, 1 when written, 2 when written and it completed the batch.
]]
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
local fields = { 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens' }
for i = 1, 4 do
  local n = tonumber(ARGV[3 + i])
  if n and n > 0 then redis.call('HINCRBY', KEYS[1], fields[i], n) end
end
local state = redis.call('HMGET', KEYS[1], 'ingest', 'status')
if state[1] == 'done' and state[2] == 'in_progress'
  and redis.call('HLEN', KEYS[2]) >= redis.call('HLEN', KEYS[3]) then
  redis.call('HSET', KEYS[1], 'status', 'completed', 'completed_at', ARGV[8])
  return 2
end
return 1
