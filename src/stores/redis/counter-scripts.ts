/**
 * The Lua scripts behind `RedisCounterStore`. Each runs atomically inside Redis, so one script call
 * is one round trip and one indivisible decision.
 *
 * Layout: one Redis hash per counter (scope key × counter name × window length), named
 * `{<prefix>counters}:<windowMs>:<key>` (one Cluster hash tag for all, see `RedisCounterStore.redisKey`), holding
 * `w` = the start of the window it counts (epoch ms) and `n` = units used in that window. A script
 * reads the time, computes the current window start `floor(now / windowMs) * windowMs`, and treats a
 * hash whose `w` is older as empty. Every key a script touches is passed in KEYS (Redis Cluster
 * rule; no key name is built inside the script).
 *
 * Time: `ARGV[1]` is "" in production, and the script reads Redis `TIME`, so every replica agrees on
 * window boundaries. A non-empty `ARGV[1]` is epoch ms supplied by the caller: the test seam
 * `timeSource` of `RedisCounterStore` (see there), never set by the gateway.
 *
 * Numbers travel as strings formatted with `%.17g` (exact for doubles) because Redis would truncate
 * a Lua number reply to an integer, and `increment_from` amounts may be fractional.
 */

const PRELUDE = `
local function fmt(x) return string.format('%.17g', x) end
local function now_ms()
  if ARGV[1] ~= '' then return tonumber(ARGV[1]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function stored_used(key, start)
  local h = redis.call('HMGET', key, 'w', 'n')
  if h[1] and tonumber(h[1]) == start then return tonumber(h[2]) or 0 end
  return 0
end
`;

/**
 * Reserve all counters or none.
 * KEYS[i]: counter hash. ARGV[1]: now override or "". ARGV[2]: expiry margin ms.
 * ARGV[3 + 3(i-1) ..]: windowMs, max, amount of counter i.
 * Reply, admitted: {"1", now, start1, end1, used1, start2, end2, used2, ...} (used after the reservation).
 * Reply, refused:  {"0", now, failedIndex (0-based), start, end, used} (used before it).
 * A key listed twice in one reservation is checked against the sum of its earlier amounts.
 */
export const RESERVE_LUA = `${PRELUDE}
local now = now_ms()
local margin = tonumber(ARGV[2])
local pending = {}
local starts, ends, useds = {}, {}, {}
for i = 1, #KEYS do
  local base = 2 + (i - 1) * 3
  local window_ms = tonumber(ARGV[base + 1])
  local max = tonumber(ARGV[base + 2])
  local amount = tonumber(ARGV[base + 3])
  local start = math.floor(now / window_ms) * window_ms
  local key = KEYS[i]
  local used = pending[key]
  if used == nil then used = stored_used(key, start) end
  if used + amount > max then
    return {'0', fmt(now), tostring(i - 1), fmt(start), fmt(start + window_ms), fmt(used)}
  end
  used = used + amount
  pending[key] = used
  starts[i], ends[i], useds[i] = start, start + window_ms, used
end
local reply = {'1', fmt(now)}
for i = 1, #KEYS do
  redis.call('HSET', KEYS[i], 'w', fmt(starts[i]), 'n', fmt(useds[i]))
  redis.call('PEXPIRE', KEYS[i], math.max(1, math.ceil(ends[i] + margin - now)))
  reply[#reply + 1] = fmt(starts[i])
  reply[#reply + 1] = fmt(ends[i])
  reply[#reply + 1] = fmt(useds[i])
end
return reply
`;

/**
 * Give units back, only into windows that are still current by the script's clock, never below 0.
 * KEYS[i]: counter hash. ARGV[1]: now override or "". ARGV[2 + 3(i-1) ..]: windowMs, windowStartMs, amount.
 * Reply: {now, number of entries actually credited}.
 */
export const ROLLBACK_LUA = `${PRELUDE}
local now = now_ms()
local credited = 0
for i = 1, #KEYS do
  local base = 1 + (i - 1) * 3
  local window_ms = tonumber(ARGV[base + 1])
  local reserved_start = tonumber(ARGV[base + 2])
  local amount = tonumber(ARGV[base + 3])
  local start = math.floor(now / window_ms) * window_ms
  if start == reserved_start then
    local h = redis.call('HMGET', KEYS[i], 'w', 'n')
    if h[1] and tonumber(h[1]) == start then
      local used = (tonumber(h[2]) or 0) - amount
      if used < 0 then used = 0 end
      redis.call('HSET', KEYS[i], 'n', fmt(used))
      credited = credited + 1
    end
  end
end
return {fmt(now), tostring(credited)}
`;

/**
 * Read one counter without changing it.
 * KEYS[1]: counter hash. ARGV[1]: now override or "". ARGV[2]: windowMs.
 * Reply: {now, start, end, used}.
 */
export const PEEK_LUA = `${PRELUDE}
local now = now_ms()
local window_ms = tonumber(ARGV[2])
local start = math.floor(now / window_ms) * window_ms
return {fmt(now), fmt(start), fmt(start + window_ms), fmt(stored_used(KEYS[1], start))}
`;
