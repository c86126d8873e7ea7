--[[
  Seals a batch whose every prompt has a result: `finalizing` becomes `completed`, and every key
  of the batch gets the batch's retention time (field retention_s), after which Redis drops it.
  Idempotent: readers call it too when they find a batch left in `finalizing`.

  KEYS[1] batch record hash
  KEYS[2..7] lines, results, rejects, done, errored, parked

  ARGV[1] now, ms since the epoch

  Returns the batch status after the call.
]]
local state = redis.call('HMGET', KEYS[1], 'status', 'retention_s')
local status = state[1]
if status == 'finalizing' then
  status = 'completed'
  redis.call('HSET', KEYS[1], 'status', status, 'completed_at', ARGV[1])
end
if status == 'completed' or status == 'cancelled' or status == 'expired' or status == 'failed' then
  local ttl = tonumber(state[2])
  if ttl and ttl > 0 then
    for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ttl) end
  end
end
return status
