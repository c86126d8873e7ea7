--[[
  Takes the next parked prompts of a pool, in fair order (see parkJob-4.lua), for promotion back
  into the queue. The pool clock moves up to the last tag taken. When the pool has nothing parked
  any more its clock, tags and registration are dropped.

  The answer is kept for a while under a key of the call's own: when the connection drops after
  this ran but before the answer arrived (Redis killed or restarted), the client sends the same
  call again, and gets the same job ids instead of taking the next ones (which would leave the
  first ones in no parked set, waiting for their fallback delay).

  KEYS[1] pool hash
  KEYS[2] parked sorted set
  KEYS[3] waiting hash
  KEYS[4] pools hash
  KEYS[5] this call's answer (a token unique to the call)

  ARGV[1] pool key
  ARGV[2] how many to take
  ARGV[3] seconds the answer is kept

  Returns the job ids taken, and as the last element the number still parked.
]]
local replay = redis.call('GET', KEYS[5])
if replay then return cjson.decode(replay) end
local taken = redis.call('ZPOPMIN', KEYS[2], tonumber(ARGV[2]))
local clock = tonumber(redis.call('HGET', KEYS[1], 'vt')) or 0
local out = {}
for i = 1, #taken, 2 do
  local member, score = taken[i], tonumber(taken[i + 1])
  local batch, jobId = string.match(member, '^([^|]*)|(.*)$')
  local tag = score % 4294967296
  if tag > clock then clock = tag end
  local field = batch .. '|' .. ARGV[1]
  if redis.call('HINCRBY', KEYS[3], field, -1) <= 0 then redis.call('HDEL', KEYS[3], field) end
  out[#out + 1] = jobId
end
local left = redis.call('ZCARD', KEYS[2])
if left == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('HDEL', KEYS[4], ARGV[1])
elseif #taken > 0 then
  redis.call('HSET', KEYS[1], 'vt', clock)
end
out[#out + 1] = left
if #taken > 0 then redis.call('SET', KEYS[5], cjson.encode(out), 'EX', tonumber(ARGV[3])) end
return out
