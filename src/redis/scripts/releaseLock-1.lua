--[[
  Releases a lock only while the caller still holds it (a lock that expired and was taken by
  another process is left alone).

  KEYS[1] the lock (a string holding its holder's token)

  ARGV[1] the caller's token

  Returns 1 when released, 0 when the lock was not the caller's.
]]
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
