--[[
  Takes errored results back so their prompts can run again (`relayq retry`): each result is
  deleted and the counters moved back; the batch returns to in_progress and its keys lose the
  retention time they got when it finished.

  KEYS[1] batch record hash
  KEYS[2..7] lines, results, rejects, done, errored, parked

  ARGV[1]    now, ms since the epoch
  ARGV[2..n] pairs: custom_id, error kind of its result

  Returns the number of results taken back.
]]
local reopened = 0
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call('SREM', KEYS[6], id) == 1 and redis.call('HDEL', KEYS[3], id) == 1 then
    reopened = reopened + 1
    redis.call('HINCRBY', KEYS[1], 'errored', -1)
    if ARGV[i + 1] ~= '' then redis.call('HINCRBY', KEYS[1], 'error:' .. ARGV[i + 1], -1) end
  end
end
if reopened > 0 then
  for i = 1, #KEYS do redis.call('PERSIST', KEYS[i]) end
  local status = redis.call('HGET', KEYS[1], 'status')
  if status ~= 'in_progress' and status ~= 'paused' then
    redis.call('HSET', KEYS[1], 'status', 'in_progress')
    redis.call('HDEL', KEYS[1], 'finalizing_at', 'completed_at', 'failed_at', 'event_id')
  end
  redis.call('HSET', KEYS[1], 'retried_at', ARGV[1])
end
return reopened
