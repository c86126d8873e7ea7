--[[
  Moves a batch to a new status when its current status allows it, stamping the time.

  KEYS[1] batch record hash

  ARGV[1] the new status
  ARGV[2] the timestamp field to set ("" for none)
  ARGV[3] now, ms since the epoch
  ARGV[4..n] statuses the move is allowed from

  Returns { 1, old status } when moved, { 0, current status } when not (or { 0, "" } when the
  batch does not exist).
]]
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return { 0, '' } end
for i = 4, #ARGV do
  if current == ARGV[i] then
    redis.call('HSET', KEYS[1], 'status', ARGV[1])
    if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) end
    return { 1, current }
  end
end
return { 0, current }
