/**
 * The Lua scripts of the Redis limits, one per call, each one atomic step (Redis runs a script alone) and one round
 * trip. Times come from the server's clock (`TIME`), so that instances whose clocks differ still agree on expiry.
 */

/** KEYS[1]: a hash {failures, pending} that expires with its window. ARGV: limit, windowMs. → {1} or {0, pttl} */
export const BEGIN_ATTEMPT = `
local counts = redis.call('HMGET', KEYS[1], 'failures', 'pending')
local held = (tonumber(counts[1]) or 0) + (tonumber(counts[2]) or 0)
if held >= tonumber(ARGV[1]) then return {0, redis.call('PTTL', KEYS[1])} end
redis.call('HINCRBY', KEYS[1], 'pending', 1)
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {1}
`

/**
 * KEYS[1]: as above. ARGV: failed (1 or 0), windowMs. An attempt whose window has expired was forgotten with it;
 * its failure starts a new window.
 */
export const SETTLE_ATTEMPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[1] == '1' then
    redis.call('HSET', KEYS[1], 'failures', 1, 'pending', 0)
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
  end
  return 0
end
local pending = math.max(0, (tonumber(redis.call('HGET', KEYS[1], 'pending')) or 0) - 1)
local failures = redis.call('HINCRBY', KEYS[1], 'failures', tonumber(ARGV[1]))
if failures == 0 and pending == 0 then redis.call('DEL', KEYS[1]) else redis.call('HSET', KEYS[1], 'pending', pending) end
return 0
`

/** KEYS[1]: a counter that expires with its window, started by its first hit. ARGV: windowMs. → {count, pttl} */
export const HIT_WINDOW = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}
`

/**
 * KEYS[1]: a sorted set of slot ids scored by the time they expire. ARGV: ttlMs, then the ids of the slots to renew.
 * Only slots still in the set are renewed: one that expired and was dropped stays lost.
 */
export const RENEW_SLOTS = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for index = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[index]) end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 0
`

/**
 * KEYS[1]: a sorted set of slot ids scored by the time they expire. ARGV: maxPerKey, ttlMs, slot id. Expired slots
 * are dropped first, so a slot whose process died frees itself; the set lives as long as its newest slot.
 * → 1 when the slot was taken, 0 when all are held.
 */
export const ACQUIRE_SLOT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`
