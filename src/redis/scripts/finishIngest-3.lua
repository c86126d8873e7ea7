--[[
  Marks a batch's input as fully read. When every accepted line already has a result the batch
  moves on here: to `finalizing` (or `cancelled` / `expired` when it was being cancelled or
  expired), or to `failed` when no line was valid. The caller then runs finalizeBatch.

  KEYS[1] batch record hash
  KEYS[2] batch results hash
  KEYS[3] batch lines hash

  ARGV[1] now, ms since the epoch
  ARGV[2] number of rejected lines in this submission

  Returns the batch status after the call.
]]
local total = redis.call('HLEN', KEYS[3])
redis.call('HSET', KEYS[1], 'ingest', 'done', 'total', total, 'rejected', ARGV[2])
local status = redis.call('HGET', KEYS[1], 'status')
if redis.call('HLEN', KEYS[2]) < total then return status end
if total == 0 and (status == 'validating' or status == 'in_progress') then
  status = 'failed'
  redis.call('HSET', KEYS[1], 'status', status, 'failed_at', ARGV[1])
elseif status == 'validating' or status == 'in_progress' or status == 'paused' then
  status = 'finalizing'
  redis.call('HSET', KEYS[1], 'status', status, 'finalizing_at', ARGV[1])
elseif status == 'cancelling' then
  status = 'cancelled'
  redis.call('HSET', KEYS[1], 'status', status, 'cancelled_at', ARGV[1])
elseif status == 'expiring' then
  status = 'expired'
  redis.call('HSET', KEYS[1], 'status', status, 'expired_at', ARGV[1])
end
return status
