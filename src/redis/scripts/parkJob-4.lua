--[[
  Parks a prompt that cannot get capacity soon: records it in its pool's parked set, in fair
  order, so a worker with room promotes it back into the queue when capacity returns. The job
  itself was already moved to BullMQ's delayed set (with a long fallback delay).

  Fair order is start-time fair queueing across batches: each batch has its own tag clock, and
  a tag is max(pool clock, the batch's last tag) + 1/weight. Promotion takes the lowest tags
  first and moves the pool clock up to them, so a small batch submitted after a huge one gets
  every other turn instead of waiting behind all of it. Job priority (0 first, as in BullMQ)
  orders before tags.

  KEYS[1] pool hash        ("vt" pool clock, "b:<batch>" the batch's last tag)
  KEYS[2] parked sorted set ("<batch>|<job id>" -> priority * 2^32 + tag)
  KEYS[3] waiting hash      ("<batch>|<pool key>" -> prompts parked)
  KEYS[4] pools hash        (pool key -> pool description JSON)

  ARGV[1] job id
  ARGV[2] batch id
  ARGV[3] pool key
  ARGV[4] pool description JSON
  ARGV[5] priority (0 first)
  ARGV[6] weight of the batch (> 0)

  Returns {prompts parked in the pool, 1 when newly parked or 0 when it already was}
]]
local member = ARGV[2] .. '|' .. ARGV[1]
if redis.call('ZSCORE', KEYS[2], member) then
  return { redis.call('ZCARD', KEYS[2]), 0 }
end
local clock = tonumber(redis.call('HGET', KEYS[1], 'vt')) or 0
local field = 'b:' .. ARGV[2]
local last = tonumber(redis.call('HGET', KEYS[1], field)) or 0
local tag = math.max(clock, last) + 1 / tonumber(ARGV[6])
redis.call('HSET', KEYS[1], field, tag)
redis.call('ZADD', KEYS[2], tonumber(ARGV[5]) * 4294967296 + tag, member)
redis.call('HINCRBY', KEYS[3], ARGV[2] .. '|' .. ARGV[3], 1)
redis.call('HSET', KEYS[4], ARGV[3], ARGV[4])
return { redis.call('ZCARD', KEYS[2]), 1 }
