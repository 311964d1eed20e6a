/**
 * The Lua scripts behind `RedisApprovalStore`; each is one atomic round trip.
 *
 * Layout (every key carries the hash tag `{<prefix>approvals}`, so all of them live in one Cluster
 * slot, and a script may reach a record key it builds from an id):
 * - `{<prefix>approvals}:id:<id>`: hash with the record's fields (numbers as decimal strings);
 * - `{<prefix>approvals}:call:<grant, tool, digest, policy version as JSON>`: the id of the latest approval for that call;
 * - `{<prefix>approvals}:index`: sorted set of ids by creation time, for listing.
 * Records and call keys expire `retentionMs` after the approval's expiry. The record key is built
 * inside the scripts from the id (same hash tag, so the same slot).
 *
 * Time: `ARGV[1]` is "" (read Redis `TIME`) or epoch ms from the store's `timeSource` test seam.
 * Every script replies with one JSON string: `{"now": ms, "kind": ..., "record": {...}}`.
 * `classify` mirrors `classifyForCheck` and `effective` mirrors `effectiveState` in approval-store.ts.
 */

const PRELUDE = `
local function now_ms()
  if ARGV[1] ~= '' then return tonumber(ARGV[1]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function load(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  return h
end
local function effective(h, now)
  if (h.state == 'pending' or h.state == 'approved') and now >= tonumber(h.expiresAtMs) then return 'expired' end
  return h.state
end
local function view(h, now)
  local r = {}
  for k, v in pairs(h) do r[k] = v end
  r.state = effective(h, now)
  return r
end
local function reply(now, kind, h)
  local out = { now = string.format('%.17g', now), kind = kind }
  if h then out.record = view(h, now) end
  return { cjson.encode(out) }
end
`;

/**
 * KEYS[1]: call key. ARGV: now, id key prefix.
 * kind: consumed | pending | denied | expired | none. Consuming marks the record used, and
 * answering denied or expired marks it reported (so later checks answer none), atomically.
 */
export const CHECK_LUA = `${PRELUDE}
local now = now_ms()
local id = redis.call('GET', KEYS[1])
if not id then return reply(now, 'none', nil) end
local key = ARGV[2] .. id
local h = load(key)
if not h then return reply(now, 'none', nil) end
local live = now < tonumber(h.expiresAtMs)
local reported = h.reportedAtMs ~= nil
if h.state == 'approved' and live then
  h.state = 'used'
  h.usedAtMs = string.format('%.17g', now)
  redis.call('HSET', key, 'state', 'used', 'usedAtMs', h.usedAtMs)
  return reply(now, 'consumed', h)
end
if h.state == 'pending' and live then return reply(now, 'pending', h) end
local kind = 'none'
if h.state == 'pending' or h.state == 'approved' or h.state == 'expired' then kind = 'expired' end
if h.state == 'denied' and live then kind = 'denied' end
if kind == 'none' or reported then return reply(now, 'none', nil) end
h.reportedAtMs = string.format('%.17g', now)
redis.call('HSET', key, 'reportedAtMs', h.reportedAtMs)
return reply(now, kind, h)
`;

/**
 * KEYS[1]: call key, KEYS[2]: index. ARGV: now, id key prefix, new id, grantId, tool, argsDigest,
 * policyVersion, ttlMs, retentionMs. Returns the live pending record of the call (kind existing),
 * or a new one (kind created).
 */
export const REQUEST_LUA = `${PRELUDE}
local now = now_ms()
local existing = redis.call('GET', KEYS[1])
if existing then
  local h = load(ARGV[2] .. existing)
  if h and h.state == 'pending' and now < tonumber(h.expiresAtMs) then return reply(now, 'existing', h) end
end
local id = ARGV[3]
local key = ARGV[2] .. id
local expires = now + tonumber(ARGV[8])
local keep = math.max(1, math.ceil(expires + tonumber(ARGV[9]) - now))
local h = {
  id = id, grantId = ARGV[4], tool = ARGV[5], argsDigest = ARGV[6], policyVersion = ARGV[7],
  state = 'pending', createdAtMs = string.format('%.17g', now), expiresAtMs = string.format('%.17g', expires),
}
redis.call('HSET', key, 'id', h.id, 'grantId', h.grantId, 'tool', h.tool, 'argsDigest', h.argsDigest,
  'policyVersion', h.policyVersion, 'state', h.state, 'createdAtMs', h.createdAtMs, 'expiresAtMs', h.expiresAtMs)
redis.call('PEXPIRE', key, keep)
redis.call('SET', KEYS[1], id, 'PX', keep)
redis.call('ZADD', KEYS[2], now, id)
return reply(now, 'created', h)
`;

/**
 * KEYS[1]: record key. ARGV: now, decision (approved | denied), decidedBy ("" for none).
 * kind: decided | unknown | expired | already (the record is returned unchanged).
 */
export const DECIDE_LUA = `${PRELUDE}
local now = now_ms()
local h = load(KEYS[1])
if not h then return reply(now, 'unknown', nil) end
local state = effective(h, now)
if state == 'expired' then return reply(now, 'expired', h) end
if state ~= 'pending' then return reply(now, 'already', h) end
h.state = ARGV[2]
h.decidedAtMs = string.format('%.17g', now)
redis.call('HSET', KEYS[1], 'state', h.state, 'decidedAtMs', h.decidedAtMs)
if ARGV[3] ~= '' then
  h.decidedBy = ARGV[3]
  redis.call('HSET', KEYS[1], 'decidedBy', ARGV[3])
end
return reply(now, 'decided', h)
`;

/**
 * KEYS[1]: record key. ARGV: now. A used, unexpired record becomes approved again (usedAtMs
 * removed). kind: restored | unchanged | unknown.
 */
export const RESTORE_LUA = `${PRELUDE}
local now = now_ms()
local h = load(KEYS[1])
if not h then return reply(now, 'unknown', nil) end
if h.state ~= 'used' or now >= tonumber(h.expiresAtMs) then return reply(now, 'unchanged', h) end
h.state = 'approved'
h.usedAtMs = nil
redis.call('HSET', KEYS[1], 'state', 'approved')
redis.call('HDEL', KEYS[1], 'usedAtMs')
return reply(now, 'restored', h)
`;

/** KEYS[1]: record key. ARGV: now. kind: found | unknown. */
export const GET_LUA = `${PRELUDE}
local now = now_ms()
local h = load(KEYS[1])
if not h then return reply(now, 'unknown', nil) end
return reply(now, 'found', h)
`;

/**
 * KEYS[1]: index. ARGV: now, id key prefix. Replies with one JSON string per record, newest first,
 * after the time; ids whose record has expired away are dropped from the index.
 */
export const LIST_LUA = `${PRELUDE}
local now = now_ms()
local out = { string.format('%.17g', now) }
local ids = redis.call('ZREVRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  local h = load(ARGV[2] .. id)
  if h then out[#out + 1] = cjson.encode(view(h, now)) else redis.call('ZREM', KEYS[1], id) end
end
return out
`;
