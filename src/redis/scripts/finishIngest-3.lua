--[[
  Marks a batch's input as fully read. When every accepted line already has a result (or no
  line was valid) the batch completes here.

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
if status == 'in_progress' and redis.call('HLEN', KEYS[2]) >= total then
  if total == 0 then status = 'failed' else status = 'completed' end
  redis.call('HSET', KEYS[1], 'status', status, 'completed_at', ARGV[1])
end
return status
