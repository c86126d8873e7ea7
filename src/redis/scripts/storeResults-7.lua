--[[
  Stores results of prompts of one batch, their usage and the batch counters, in one step. A
  second result for the same custom_id (a job run twice after a worker crash, a cancel racing a
  job) changes nothing, so no token is counted twice.

  KEYS[1] batch record hash
  KEYS[2] batch results hash (custom_id -> encoded result)
  KEYS[3] batch lines hash   (custom_id -> line number)
  KEYS[4] usage hash of today (UTC): metric|provider|account|batch|model[|>N] -> count
  KEYS[5] batch done list    (custom_ids in the order results landed)
  KEYS[6] batch errored set
  KEYS[7] all-time metrics hash: prompts|status|provider|model and metric|provider|account|model[|>N] -> count

  ARGV[1] now, ms since the epoch
  ARGV[2] seconds the day's usage hash is kept
  ARGV[3..] per result, 13 fields:
    custom_id, encoded result, status (succeeded | errored | cancelled | expired),
    provider|account|batch|model[|>N] (the usage field suffix, "" when the prompt never ran;
    |>N for a prompt of more than N tokens),
    error kind ("" when none), attempts made,
    input, output, cache read, cache write, reasoning tokens,
    provider|model (the prompts field suffix; either part "" when not known),
    provider|account|model[|>N] (the all-time usage field suffix, "" when the prompt never ran)

  Returns, per result: 0 when a result already existed, 1 when written, 2 when written and every
  prompt of the batch now has a result (the caller finalizes the batch).
]]
local metrics = { 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens' }
local fields = 13
local outcomes = {}
-- Counters are summed here and written once per call, not once per result.
local counts = {}    -- batch record field -> increment
local usage = {}     -- usage hash field -> increment
local totals = {}    -- all-time metrics hash field -> increment
local done, errored = {}, {}
local function add(into, field, n)
  into[field] = (into[field] or 0) + n
end
for base = 3, #ARGV, fields do
  local id, status, suffix, kind, attempts = ARGV[base], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4], tonumber(ARGV[base + 5])
  if redis.call('HSETNX', KEYS[2], id, ARGV[base + 1]) == 0 then
    outcomes[#outcomes + 1] = 0
  else
    outcomes[#outcomes + 1] = 1
    done[#done + 1] = id
    add(counts, status, 1)
    add(totals, 'prompts|' .. status .. '|' .. ARGV[base + 11], 1)
    if kind ~= '' then
      add(counts, 'error:' .. kind, 1)
      if status == 'errored' then errored[#errored + 1] = id end
    end
    if attempts > 1 then add(counts, 'retries', attempts - 1) end
    if suffix ~= '' then
      suffix = '|' .. suffix
      local total = '|' .. ARGV[base + 12]
      add(usage, 'requests' .. suffix, 1)
      add(totals, 'requests' .. total, 1)
      for i = 1, 5 do
        local n = tonumber(ARGV[base + 5 + i])
        if n ~= 0 then
          add(counts, metrics[i], n)
          add(usage, metrics[i] .. suffix, n)
          add(totals, metrics[i] .. total, n)
        end
      end
    end
  end
end
if #done == 0 then return outcomes end
redis.call('RPUSH', KEYS[5], unpack(done))
if #errored > 0 then redis.call('SADD', KEYS[6], unpack(errored)) end
for field, n in pairs(counts) do redis.call('HINCRBY', KEYS[1], field, n) end
local fresh = false
for field, n in pairs(usage) do
  if redis.call('HINCRBY', KEYS[4], field, n) == n then fresh = true end
end
if fresh and redis.call('TTL', KEYS[4]) < 0 then redis.call('EXPIRE', KEYS[4], ARGV[2]) end
for field, n in pairs(totals) do redis.call('HINCRBY', KEYS[7], field, n) end

-- Did these results complete the batch? Then the last one written says so.
local state = redis.call('HMGET', KEYS[1], 'ingest', 'status')
if state[1] ~= 'done' or redis.call('HLEN', KEYS[2]) < redis.call('HLEN', KEYS[3]) then return outcomes end
local status = state[2]
if status == 'in_progress' or status == 'paused' or status == 'validating' then
  redis.call('HSET', KEYS[1], 'status', 'finalizing', 'finalizing_at', ARGV[1])
elseif status == 'cancelling' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'cancelled_at', ARGV[1])
elseif status == 'expiring' then
  redis.call('HSET', KEYS[1], 'status', 'expired', 'expired_at', ARGV[1])
else
  return outcomes
end
for i = #outcomes, 1, -1 do
  if outcomes[i] == 1 then
    outcomes[i] = 2
    break
  end
end
return outcomes
