-- The peer users build instead of Admission: an org's concurrency pool with reservations, kept in
-- Redis and changed by this one script so that every request is atomic. Accounting is Admission's:
-- by count, an (agent, call type) pair uses its reserved slots first, then shared ones, and frees
-- a shared slot first. It keeps no queue: a caller that gets 0 polls again later.
--
-- KEYS[1] org state hash: limit, reserved_total, shared_in_use, res:<pair>, act:<pair>
-- KEYS[2] granted calls hash: call_id -> pair ("agent|type")
-- KEYS[3] lease deadlines sorted set: call_id scored by expiry (epoch ms)
-- ARGV    'acquire', call_id, agent_id, call_type, now_ms, ttl_ms   -> 1 granted, 0 full
--         'release', call_id                                        -> 1 released, 0 unknown
local state, calls, deadlines = KEYS[1], KEYS[2], KEYS[3]

local function num(v)
  return tonumber(v) or 0
end

local function free(call_id)
  local pair = redis.call('HGET', calls, call_id)
  if not pair then
    return 0
  end
  local r = redis.call('HMGET', state, 'res:' .. pair, 'act:' .. pair)
  if num(r[2]) > num(r[1]) then
    redis.call('HINCRBY', state, 'shared_in_use', -1)
  end
  redis.call('HINCRBY', state, 'act:' .. pair, -1)
  redis.call('HDEL', calls, call_id)
  redis.call('ZREM', deadlines, call_id)
  return 1
end

if ARGV[1] == 'release' then
  return free(ARGV[2])
end

local call_id, pair, now, ttl = ARGV[2], ARGV[3] .. '|' .. ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
-- Leases of switches that crashed without Release: free a few on every request.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', deadlines, '-inf', now, 'LIMIT', 0, 16)) do
  free(id)
end
if redis.call('HEXISTS', calls, call_id) == 1 then
  return 1 -- a retried Acquire: already granted
end
local s = redis.call('HMGET', state, 'limit', 'reserved_total', 'shared_in_use', 'res:' .. pair, 'act:' .. pair)
if num(s[5]) >= num(s[4]) then
  if num(s[1]) - num(s[2]) - num(s[3]) <= 0 then
    return 0
  end
  redis.call('HINCRBY', state, 'shared_in_use', 1)
end
redis.call('HINCRBY', state, 'act:' .. pair, 1)
redis.call('HSET', calls, call_id, pair)
redis.call('ZADD', deadlines, now + ttl, call_id)
return 1
