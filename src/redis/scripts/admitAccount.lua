--[[
  Admission of one prompt. Checks every rate-limit dimension of each candidate account and takes
  the capacity the prompt needs from the best candidate that has room now: one request, its
  estimated input tokens, its reserved output tokens (max_tokens), and a concurrency lease. One
  step for all workers on all machines, so N workers never overrun a limit together.

  Called with 2n keys for n candidates (the key count is the first argument after the script):
  KEYS[2k - 1] candidate k's state hash (field -> value, fields below)
  KEYS[2k]     candidate k's leases sorted set (lease id -> expiry, ms since the epoch)

  ARGV[1] lease id, unique per call
  ARGV[2] lease time to live, ms (a crashed worker's leases expire after this long)
  ARGV[3] input tokens the prompt is estimated to use
  ARGV[4] output tokens reserved for it (its max_tokens, or an estimate)
  ARGV[5] n, the number of candidates
  ARGV[6 + 2k], ARGV[7 + 2k], k = 0 .. n-1: candidate k + 1's rank and weight

  Dimensions: r requests, i input tokens, o output tokens, t input + output tokens (per minute).
  Account fields read (absent = not set):
    cfg_r cfg_i cfg_o cfg_c   configured requests/min, input tokens/min, output tokens/min, concurrency
    cfg_burst                 configured seconds of refill our buckets hold until the provider's size is known
    cfg_share                 configured fraction of each per-minute limit relayq may use
    pace                      set when bursts drew 429s: the account is paced (includes/accountLimits.lua)
    lrn_r lrn_i lrn_o lrn_t   per-minute limits the provider's headers announced
    cap_r cap_i cap_o cap_t   the provider's bucket size, learned from its remaining + reset headers
    aimd_r                    requests/min found by AIMD when the provider announces nothing
    lvl_X ts_X                our bucket for dimension X: level and when it was computed (ms)
    infl                      requests in flight (leases held)
    cfg_on                    "0" when the config disables the account
    dis                       "auth" (the provider refused its credentials) or "off" (an operator
                              disabled it): not used; "on": an operator enabled it over the config
    cool                      cooling down until this time (ms)

  The effective limit and bucket math: includes/accountLimits.lua; a dimension without a limit
  is not checked.

  Choice: among candidates with room now, the highest rank (dedicated accounts, then priority),
  then the most headroom (lowest fill of any dimension) times weight.

  Returns
    {1, k, seq}            admitted on candidate k (1-based); its lease (the lease id) is held;
                           seq: the account's admissions counted so far (n_adm), this one included
    {0, waitMs, k, why, w_1, why_1, ..., w_n, why_n}
                           no room now: candidate k could take it in waitMs (-1: when a lease frees);
                           why: cooldown | r | i | o | t | concurrency; then each candidate's own
                           wait and reason (-2, "disabled" for a disabled one), which the caller
                           keeps as hints for choosing the candidates it sends next time
    {-1}                   every candidate is disabled
]]
--- @include "includes/accountLimits"

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000

-- Expired leases (their worker died) free their slots.
local function expireLeases(stateKey, leasesKey)
  local expired = redis.call('ZRANGEBYSCORE', leasesKey, '-inf', now, 'LIMIT', 0, 100)
  for _, member in ipairs(expired) do
    if redis.call('ZREM', leasesKey, member) == 1 then redis.call('HINCRBY', stateKey, 'infl', -1) end
  end
end

local leaseId, leaseTtl = ARGV[1], tonumber(ARGV[2])
local inputCost, outputCost = tonumber(ARGV[3]), tonumber(ARGV[4])
local dims = { 'r', 'i', 'o', 't' }
local cost = { r = 1, i = inputCost, o = outputCost, t = inputCost + outputCost }
local fields = {
  'cfg_r', 'cfg_i', 'cfg_o', 'cfg_c', 'lrn_r', 'lrn_i', 'lrn_o', 'lrn_t',
  'cap_r', 'cap_i', 'cap_o', 'cap_t', 'aimd_r',
  'lvl_r', 'ts_r', 'lvl_i', 'ts_i', 'lvl_o', 'ts_o', 'lvl_t', 'ts_t',
  'infl', 'cfg_on', 'dis', 'cool', 'cfg_burst', 'cfg_share', 'pace',
}

local function read(stateKey)
  local values = redis.call('HMGET', stateKey, unpack(fields))
  local st = {}
  for i, field in ipairs(fields) do st[field] = values[i] end
  return st
end

local function numbers(st)
  return function(name) return tonumber(st[name]) end
end

-- Our bucket for one dimension now: level, size, refill per ms.
local function bucket(value, d, limit)
  local size, rate = bucketShape(value, d, limit)
  return levelAt(value, d, size, rate, now) or size, size, rate
end

local function isDisabled(st)
  if st.dis == 'auth' or st.dis == 'off' then return true end
  if st.dis == 'on' then return false end
  return st.cfg_on == '0'
end

local function evaluate(stateKey)
  local st = read(stateKey)
  if isDisabled(st) then return nil end
  local value = numbers(st)
  local e = { wait = 0, why = 'cooldown', headroom = 1, full = false, buckets = {} }
  local cool = tonumber(st.cool)
  if cool and cool > now then e.wait = cool - now end
  for _, d in ipairs(dims) do
    local limit = limitOf(value, d)
    if limit then
      local level, size, rate = bucket(value, d, limit)
      local need = math.min(cost[d], size)
      if level < need then
        local wait = (need - level) / rate
        if wait > e.wait then e.wait = wait; e.why = d end
      end
      local fill = level / size
      if fill < e.headroom then e.headroom = fill end
      e.buckets[#e.buckets + 1] = { d, level }
    end
  end
  local concurrency = tonumber(st.cfg_c)
  if concurrency and concurrency > 0 then
    local inflight = math.max(0, tonumber(st.infl) or 0)
    if inflight >= concurrency then
      e.full = true
      if e.wait <= 0 then e.why = 'concurrency' end
    else
      local free = (concurrency - inflight) / concurrency
      if free < e.headroom then e.headroom = free end
    end
  end
  return e
end

local n = tonumber(ARGV[5])
local best, bestRank, bestScore, bestEval
local soonest, soonestWait, soonestWhy
local anyEnabled = false
local each = {}
for k = 1, n do
  local base = 6 + (k - 1) * 2
  local rank, weight = tonumber(ARGV[base]), tonumber(ARGV[base + 1])
  expireLeases(KEYS[2 * k - 1], KEYS[2 * k])
  local e = evaluate(KEYS[2 * k - 1])
  if not e then
    each[#each + 1] = -2
    each[#each + 1] = 'disabled'
  else
    local own = e.wait
    if e.full and own <= 0 then own = -1 elseif own > 0 then own = math.ceil(own) end
    each[#each + 1] = own
    each[#each + 1] = e.why
    anyEnabled = true
    if e.wait <= 0 and not e.full then
      local score = math.max(e.headroom, 0) * weight
      if not best or rank > bestRank or (rank == bestRank and score > bestScore) then
        best, bestRank, bestScore, bestEval = k, rank, score, e
      end
    else
      -- A candidate waiting only for a lease has no known wait (-1); any known wait is sooner.
      local wait = e.wait
      if e.full and wait <= 0 then wait = -1 end
      if not soonest or (wait >= 0 and (soonestWait < 0 or wait < soonestWait)) then
        soonest, soonestWait, soonestWhy = k, wait, e.why
      end
    end
  end
end

if not anyEnabled then return { -1 } end
if not best then
  local wait = soonestWait
  if wait > 0 then wait = math.ceil(wait) end
  local answer = { 0, wait, soonest, soonestWhy }
  for _, value in ipairs(each) do answer[#answer + 1] = value end
  return answer
end

local stateKey, leasesKey = KEYS[2 * best - 1], KEYS[2 * best]
for _, b in ipairs(bestEval.buckets) do
  local d, level = b[1], b[2]
  redis.call('HSET', stateKey, 'lvl_' .. d, level - cost[d], 'ts_' .. d, now)
end
redis.call('HINCRBY', stateKey, 'infl', 1)
local sequence = redis.call('HINCRBY', stateKey, 'n_adm', 1)
redis.call('ZADD', leasesKey, now + leaseTtl, leaseId)
return { 1, best, sequence }
