--[[
  One step of a scan over a batch's accepted lines, keeping those without a result.

  KEYS[1] batch lines hash   (custom_id -> line number)
  KEYS[2] batch results hash

  ARGV[1] HSCAN cursor ("0" to start)
  ARGV[2] HSCAN COUNT hint

  Returns { next cursor, custom_id, line, custom_id, line, ... }; the scan is over when the
  cursor is "0".
]]
local scanned = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
local out = { scanned[1] }
local entries = scanned[2]
for i = 1, #entries, 2 do
  if redis.call('HEXISTS', KEYS[2], entries[i]) == 0 then
    out[#out + 1] = entries[i]
    out[#out + 1] = entries[i + 1]
  end
end
return out
