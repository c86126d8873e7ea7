--[[
  Seals a batch whose every prompt has a result: `finalizing` becomes `completed`, and every key
  of the batch gets the batch's retention time (field retention_s), after which Redis drops it.
  The first call that finds the batch ended gives it its webhook event: the event id (ARGV[2])
  is set on the record (field event_id) and the batch goes into the webhook outbox, in this same
  step, so a batch end has exactly one event however many workers race to finish it.
  Idempotent: readers call it too when they find a batch left in `finalizing`.

  KEYS[1] batch record hash
  KEYS[2..7] lines, results, rejects, done, errored, parked
  KEYS[8] webhook outbox sorted set

  ARGV[1] now, ms since the epoch
  ARGV[2] a fresh event id, used when the batch has none yet

  Returns the batch status after the call.
]]
local state = redis.call('HMGET', KEYS[1], 'status', 'retention_s', 'id')
local status = state[1]
if status == 'finalizing' then
  status = 'completed'
  redis.call('HSET', KEYS[1], 'status', status, 'completed_at', ARGV[1])
end
if status == 'completed' or status == 'cancelled' or status == 'expired' or status == 'failed' then
  if state[3] and redis.call('HSETNX', KEYS[1], 'event_id', ARGV[2]) == 1 then
    redis.call('ZADD', KEYS[8], ARGV[1], state[3] .. '|' .. ARGV[2])
  end
  local ttl = tonumber(state[2])
  if ttl and ttl > 0 then
    for i = 1, 7 do redis.call('EXPIRE', KEYS[i], ttl) end
  end
end
return status
