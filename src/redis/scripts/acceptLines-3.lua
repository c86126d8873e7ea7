--[[
  Accepts a chunk of input lines into a batch, detecting duplicate custom_ids.

  KEYS[1] batch lines hash   (custom_id -> line number)
  KEYS[2] batch results hash (custom_id -> result)
  KEYS[3] batch record hash

  ARGV[1]    now, ms since the epoch
  ARGV[2..n] pairs: custom_id, line number

  Returns the batch state, then one integer per pair:
    state  1: open, the caller enqueues; 2: paused, the caller parks the jobs instead;
           0: closed (cancelling, cancelled, expiring, expired): nothing was recorded, stop reading
    0      the custom_id is new: recorded, the caller enqueues it
   -1      the same line was accepted before and has no result yet: the caller enqueues it again
           (the job id makes that a no-op while the job still exists)
   -2      the same line was accepted before and already has a result: nothing to do
    n > 0  duplicate: the custom_id was accepted earlier on line n
]]
local status = redis.call('HGET', KEYS[3], 'status')
if status == 'cancelling' or status == 'cancelled' or status == 'expiring' or status == 'expired' then
  return { 0 }
end
local out = { 1 }
if status == 'paused' then out[1] = 2 end
local added = 0
local queued = 0
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local line = ARGV[i + 1]
  if redis.call('HSETNX', KEYS[1], id, line) == 1 then
    out[#out + 1] = 0
    added = added + 1
    queued = queued + 1
  else
    local earlier = redis.call('HGET', KEYS[1], id)
    if earlier == line then
      if redis.call('HEXISTS', KEYS[2], id) == 1 then
        out[#out + 1] = -2
      else
        out[#out + 1] = -1
        queued = queued + 1
      end
    else
      out[#out + 1] = tonumber(earlier)
    end
  end
end
if added > 0 then redis.call('HSET', KEYS[3], 'total', redis.call('HLEN', KEYS[1])) end
if queued > 0 and status == 'validating' then
  redis.call('HSET', KEYS[3], 'status', 'in_progress')
  redis.call('HSETNX', KEYS[3], 'started_at', ARGV[1])
end
return out
