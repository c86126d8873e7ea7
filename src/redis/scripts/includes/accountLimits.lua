--[[
  An account's effective limit and bucket shape for one rate-limit dimension (r, i, o, t), shared
  by admitAccount.lua and settleAccount-3.lua. `value(name)` reads one of the account's fields
  as a number (nil when absent); field names: src/accounts/state-fields.ts.

  The effective limit is the lower of configured and learned, times `limits.share` (cfg_share:
  the fraction relayq may use, so other traffic on the key keeps the rest; AIMD's rate for
  requests when neither is known, not scaled: it is found from 429s). Buckets refill continuously at the limit's rate. Ours is nine tenths of the provider's once
  its remaining + reset headers tell its size (a full minute for Anthropic and OpenAI), so what
  the provider holds is spent as fast as concurrency allows, less a tenth kept back for requests
  that reach it bunched; before that it holds `limits.burst`
  seconds of refill (cfg_burst; 1 s when not configured). An account whose bursts drew 429s
  (pace set: the provider enforces a shorter window than it reports) is paced instead: a bucket of
  half the provider's, at most 1 s of refill, so requests that reach the provider a little late or
  close together still fit.
]]
local SLACK = 0.5
-- Of the provider's bucket, the part ours holds: the rest absorbs requests that reach the
-- provider bunched closer together than they were admitted (a busy event loop, a slow connect).
local PROVIDER_SHARE = 0.9
local DEFAULT_BURST_MS = 1000
local MIN_BURST_MS, MAX_BURST_MS = 100, 60000

local function limitOf(value, d)
  local limit
  local configured, learned = value('cfg_' .. d), value('lrn_' .. d)
  if configured and configured > 0 then limit = configured end
  if learned and learned > 0 and (not limit or learned < limit) then limit = learned end
  local share = value('cfg_share')
  if limit and share and share > 0 and share < 1 then limit = limit * share end
  if not limit and d == 'r' then
    local adaptive = value('aimd_r')
    if adaptive and adaptive > 0 then limit = adaptive end
  end
  return limit
end

-- Our bucket for a dimension with this limit: its size and its refill per ms.
local function bucketShape(value, d, limit)
  local rate = limit / 60000
  local burstMs = DEFAULT_BURST_MS
  local configured = value('cfg_burst')
  if configured and configured > 0 then burstMs = configured * 1000 end
  local paced = value('pace') ~= nil
  local providerSize, learned = value('cap_' .. d), value('lrn_' .. d)
  if providerSize and learned and providerSize > 0 and learned > 0 then
    burstMs = providerSize / (learned / 60000) * PROVIDER_SHARE
    if paced then burstMs = math.min(DEFAULT_BURST_MS, burstMs * SLACK) end
  elseif paced and burstMs > DEFAULT_BURST_MS then
    burstMs = DEFAULT_BURST_MS
  end
  if burstMs < MIN_BURST_MS then burstMs = MIN_BURST_MS elseif burstMs > MAX_BURST_MS then burstMs = MAX_BURST_MS end
  return math.max(1, rate * burstMs), rate
end

-- Our bucket's level at `now`, from its stored level and time; nil when it was never used (it starts full).
local function levelAt(value, d, size, rate, now)
  local level, at = value('lvl_' .. d), value('ts_' .. d)
  if not level or not at then return nil end
  return math.min(size, level + math.max(0, now - at) * rate)
end
