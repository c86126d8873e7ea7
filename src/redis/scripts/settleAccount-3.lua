--[[
  Settles one call on an account once its answer (or error) is known: frees the concurrency
  lease, corrects the token buckets from the actual usage (the unused part of the output
  reservation comes back, the input estimate is corrected), learns the provider's limits and
  remaining capacity from its rate-limit headers, and reacts to the outcome: a 429 cools the
  account down (and, when the provider announces no limits, lowers the AIMD rate), a 529/503
  backs off, a 401/403 disables the account. Account fields: src/accounts/state-fields.ts; the
  effective limit and bucket math: includes/accountLimits.lua.

  KEYS[1] the account's state hash
  KEYS[2] the account's leases sorted set
  KEYS[3] the account's recent-errors list

  ARGV[1]  account id (the keys name the account; kept so a MONITOR trace shows it)
  ARGV[2]  lease id ("" when no lease was taken)
  ARGV[3]  outcome: ok | rate_limited | overloaded | auth | error | released
  ARGV[4]  input tokens admission charged (0 when it charged none)
  ARGV[5]  actual input tokens (-1 unknown)
  ARGV[6]  output tokens admission reserved (0 when it reserved none)
  ARGV[7]  actual output tokens (-1 unknown)
  ARGV[8]  cooldown the provider asked for (retry-after), ms; 0 none
  ARGV[9]  message (the error, for the account's status)
  ARGV[10] requests/min the workers were sending this account (AIMD's starting point); 0 unknown
  ARGV[11] how far the provider rounds token "remaining" headers down (Anthropic: 1000); 0 exact
  ARGV[12] 1 when "remaining" is fresh (sent with the answer), 0 when it may be old (the headers of
           a long stream): then only the limits and bucket sizes are learned
  ARGV[13 + 3j], ARGV[14 + 3j], ARGV[15 + 3j], j = 0..3 for r, i, o, t:
           the provider's limit per minute, remaining, ms until its bucket is full ("" unknown)
  ARGV[25] the account's admission count (n_adm) when this call was admitted ("" unknown): the
           calls admitted since, and those still in flight, may not have reached the provider when
           it answered this one, so our level follows its remaining only after taking them off

  Returns {limited (1 when any limit applies to the account), cooling until (ms, 0 none), disabled ("" | reason kind),
           overloads in a row now}
]]
--- @include "includes/accountLimits"

local stateKey, leasesKey, errorsKey = KEYS[1], KEYS[2], KEYS[3]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000

local MIN_COOLDOWN_MS = 250
local OVERLOAD_BASE_MS, OVERLOAD_MAX_MS = 500, 10000
-- Overloads in a row left to the prompts' own retries before the account rests.
local OVERLOADS_FOR_PROMPTS = 4
local AIMD_DECREASE, AIMD_STEP, AIMD_INTERVAL_MS = 0.7, 0.05, 1000
local ERRORS_KEPT = 20

local function get(name) return redis.call('HGET', stateKey, name) end
local function num(name) return tonumber(get(name)) end
local function set(name, value) redis.call('HSET', stateKey, name, value) end

-- 1. The lease: freed once (an expired lease was already counted out by admission).
if ARGV[2] ~= '' and redis.call('ZREM', leasesKey, ARGV[2]) == 1 then
  redis.call('HINCRBY', stateKey, 'infl', -1)
end

local outcome = ARGV[3]
local dims = { 'r', 'i', 'o', 't' }

local function sizeOf(d, limit) return bucketShape(num, d, limit) end
-- Our bucket level now, or nil when the bucket was never used (it starts full).
local function levelOf(d, size, rate) return levelAt(num, d, size, rate, now) end

-- 2. Token corrections: what admission charged against what the answer actually used.
local chargedIn, actualIn = tonumber(ARGV[4]), tonumber(ARGV[5])
local reservedOut, actualOut = tonumber(ARGV[6]), tonumber(ARGV[7])
if chargedIn > 0 or reservedOut > 0 then
  local inDelta = 0
  if actualIn >= 0 then inDelta = actualIn - chargedIn end
  local outRefund = reservedOut - math.max(0, actualOut)
  local change = { i = -inDelta, o = outRefund, t = outRefund - inDelta }
  for _, d in ipairs({ 'i', 'o', 't' }) do
    local limit = limitOf(num, d)
    if limit and change[d] ~= 0 then
      local size, rate = sizeOf(d, limit)
      local level = levelOf(d, size, rate)
      if level then set('lvl_' .. d, math.min(size, level + change[d])); set('ts_' .. d, now) end
    end
  end
end

-- 3. What the provider's headers say: limits, its bucket size, and its remaining capacity. Our
-- level follows the provider's remaining (minus what the provider holds beyond our bucket: the
-- slack of a paced account, the part limits.share leaves to others): lowered when it is above, raised when it is below (a bucket the provider
-- holds full is spent at once), each time by more than a tolerance. A paced account's level is
-- only ever lowered.
local admittedAt = tonumber(ARGV[25])
local callCost = { r = 1, i = chargedIn, o = reservedOut, t = chargedIn + reservedOut }
local rounding = tonumber(ARGV[11]) or 0
local fresh = ARGV[12] == '1'
local sawLimits = false
local paced = num('pace') ~= nil
for j, d in ipairs(dims) do
  local base = 13 + (j - 1) * 3
  local limit, remaining, untilFull = tonumber(ARGV[base]), tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2])
  if limit and limit > 0 then
    sawLimits = true
    if num('lrn_' .. d) ~= limit then set('lrn_' .. d, limit) end
    if remaining then
      if d ~= 'r' then remaining = remaining + rounding end
      local providerSize
      if untilFull then
        providerSize = math.max(1, remaining + limit / 60000 * untilFull)
        set('cap_' .. d, providerSize)
      else
        providerSize = num('cap_' .. d)
      end
      local effective = limitOf(num, d)
      local size, rate = sizeOf(d, effective)
      -- What the provider holds beyond our bucket stays there: the slack of a paced account, and
      -- the part limits.share leaves to other traffic on the key.
      local target = remaining
      if providerSize then
        target = remaining - math.max(0, providerSize - size)
      else
        local share = num('cfg_share')
        if share and share > 0 and share < 1 then target = remaining - (1 - share) * limit end
      end
      local level = levelOf(d, size, rate)
      local tolerance = math.max(1, size * 0.02)
      -- Calls we took that the provider may not have counted when it answered this one: those
      -- admitted after it, and those still in flight (admitted before it, they may reach the
      -- provider later). Counted as spent, at this call's cost, so that an answer settling late or
      -- out of order never puts a bursting account's level above what the provider holds.
      local safe = target
      if admittedAt and not paced then
        local unseen = math.max(0, (num('n_adm') or 0) - admittedAt) + math.max(0, num('infl') or 0)
        safe = target - unseen * callCost[d]
      end
      if fresh and (level == nil or level > target + tolerance) then
        set('lvl_' .. d, math.min(size, safe)); set('ts_' .. d, now)
      elseif fresh and admittedAt and not paced then
        local raised = safe - tolerance
        if raised > level + tolerance then set('lvl_' .. d, math.min(size, raised)); set('ts_' .. d, now) end
      end
    end
  end
end

-- 4. The outcome.
local message = ARGV[9]
local cooldownMs = tonumber(ARGV[8]) or 0
local function coolFor(ms, why)
  local untilMs = now + math.max(ms, MIN_COOLDOWN_MS)
  if (num('cool') or 0) < untilMs then set('cool', untilMs); set('cool_why', why) end
end
local function knowsLimits()
  if sawLimits then return true end
  for _, d in ipairs(dims) do
    if num('lrn_' .. d) or num('cfg_' .. d) then return true end
  end
  return false
end

if outcome == 'ok' then
  redis.call('HINCRBY', stateKey, 'n_ok', 1)
  if get('ovl') then redis.call('HDEL', stateKey, 'ovl') end
  local adaptive = num('aimd_r')
  if adaptive and not knowsLimits() and now - (num('aimd_inc') or 0) >= AIMD_INTERVAL_MS then
    set('aimd_r', adaptive + (num('aimd_step') or math.max(0.5, adaptive * AIMD_STEP)))
    set('aimd_inc', now)
  end
elseif outcome == 'rate_limited' then
  redis.call('HINCRBY', stateKey, 'n_429', 1)
  coolFor(cooldownMs, message)
  -- With limits known, a 429 means our buckets let more through than the provider did: it
  -- enforces a shorter window than its headers report. From now on the account is paced.
  if knowsLimits() and not num('pace') then
    set('pace', now)
    set('pace_why', message)
  end
  -- No limits announced: multiplicative decrease, at most once a second (a burst of 429s is one signal).
  if not knowsLimits() and now - (num('aimd_dec') or 0) >= AIMD_INTERVAL_MS then
    local base = num('aimd_r') or tonumber(ARGV[10])
    if base and base > 0 then
      local lowered = math.max(1, base * AIMD_DECREASE)
      set('aimd_r', lowered)
      set('aimd_step', math.max(0.5, lowered * AIMD_STEP))
      set('aimd_dec', now)
      set('aimd_inc', now)
      set('lvl_r', 0)
      set('ts_r', now)
    end
  end
elseif outcome == 'overloaded' then
  -- A few overloads between successes are the prompts' to retry (as the SDKs do, per request):
  -- a 529 comes back at once while a success takes the whole answer's time, so with many calls
  -- in flight two or three 529s often settle back to back. From the fifth in a row (no
  -- success between), what a provider that is really overloaded gives, the account rests: 0.5 s,
  -- doubling, at most 10 s. A success clears the run.
  local overloads = redis.call('HINCRBY', stateKey, 'ovl', 1)
  local backoff = 0
  if overloads > OVERLOADS_FOR_PROMPTS then
    backoff = math.min(OVERLOAD_MAX_MS, OVERLOAD_BASE_MS * 2 ^ (overloads - OVERLOADS_FOR_PROMPTS - 1))
  end
  if backoff > 0 or cooldownMs > 0 then coolFor(math.max(backoff, cooldownMs), message) end
  redis.call('HINCRBY', stateKey, 'n_err', 1)
elseif outcome == 'auth' then
  set('dis', 'auth')
  set('dis_why', message)
  set('dis_at', now)
  redis.call('HINCRBY', stateKey, 'n_err', 1)
elseif outcome == 'error' then
  redis.call('HINCRBY', stateKey, 'n_err', 1)
end

if outcome ~= 'ok' and outcome ~= 'released' then
  set('err', message)
  set('err_at', now)
  redis.call('LPUSH', errorsKey, cjson.encode({ at = math.floor(now), kind = outcome, message = message }))
  redis.call('LTRIM', errorsKey, 0, ERRORS_KEPT - 1)
end

local limited = 0
if knowsLimits() or num('aimd_r') or num('cfg_c') then limited = 1 end
local cool = num('cool') or 0
if cool <= now then cool = 0 end
return { limited, math.ceil(cool), get('dis') or '', num('ovl') or 0 }
