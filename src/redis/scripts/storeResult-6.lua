--[[
  Stores the one result of a prompt, its usage and the batch counters, in one step. A second
  result for the same custom_id (a job run twice after a worker crash, a cancel racing a job)
  changes nothing, so no token is counted twice.

  KEYS[1] batch record hash
  KEYS[2] batch results hash (custom_id -> encoded result)
  KEYS[3] batch lines hash   (custom_id -> line number)
  KEYS[4] usage hash of today (UTC): metric|provider|account|batch|model -> count
  KEYS[5] batch done list    (custom_ids in the order results landed)
  KEYS[6] batch errored set

  ARGV[1]  custom_id
  ARGV[2]  encoded result
  ARGV[3]  status: succeeded | errored | cancelled | expired
  ARGV[4]  now, ms since the epoch
  ARGV[5]  provider|account|batch|model, the usage field suffix ("" when the prompt never ran)
  ARGV[6]  error kind ("" when none)
  ARGV[7]  attempts made
  ARGV[8]  seconds the day's usage hash is kept
  ARGV[9..13] input, output, cache read, cache write, reasoning tokens

  Returns 0 when a result already existed, 1 when written, 2 when written and every prompt of
  the batch now has a result (the caller finalizes the batch).
]]
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
redis.call('RPUSH', KEYS[5], ARGV[1])
if ARGV[6] ~= '' then
  redis.call('HINCRBY', KEYS[1], 'error:' .. ARGV[6], 1)
  if ARGV[3] == 'errored' then redis.call('SADD', KEYS[6], ARGV[1]) end
end
if ARGV[7] ~= '1' and ARGV[7] ~= '0' then redis.call('HINCRBY', KEYS[1], 'retries', tonumber(ARGV[7]) - 1) end
if ARGV[5] ~= '' then
  local suffix = '|' .. ARGV[5]
  if redis.call('HINCRBY', KEYS[4], 'requests' .. suffix, 1) == 1 and redis.call('TTL', KEYS[4]) < 0 then
    redis.call('EXPIRE', KEYS[4], ARGV[8])
  end
  local metrics = { 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens' }
  for i = 1, 5 do
    local n = ARGV[8 + i]
    if n ~= '0' then
      redis.call('HINCRBY', KEYS[1], metrics[i], n)
      redis.call('HINCRBY', KEYS[4], metrics[i] .. suffix, n)
    end
  end
end
local state = redis.call('HMGET', KEYS[1], 'ingest', 'status')
if state[1] ~= 'done' or redis.call('HLEN', KEYS[2]) < redis.call('HLEN', KEYS[3]) then return 1 end
local status = state[2]
if status == 'in_progress' or status == 'paused' or status == 'validating' then
  redis.call('HSET', KEYS[1], 'status', 'finalizing', 'finalizing_at', ARGV[4])
elseif status == 'cancelling' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'cancelled_at', ARGV[4])
elseif status == 'expiring' then
  redis.call('HSET', KEYS[1], 'status', 'expired', 'expired_at', ARGV[4])
else
  return 1
end
return 2
