-- Registers (or re-registers) a TaskManager: replaces its record, drops its allocations (the
-- process restarted, so nothing it held survives) and sets its lease. Also purges every
-- expired TaskManager, so a cluster that never lists still cleans up after dead workers.
--
-- KEYS[1]  {p}:tms            lease set (id -> expiry ms)
-- KEYS[2]  {p}:tm:{id}        record hash
-- KEYS[3]  {p}:alloc:{id}     allocations hash
-- ARGV[1]  TaskManager id
-- ARGV[2]  lease in ms (positive integer)
-- ARGV[3]  RedisKeys.taskManagerPrefix()
-- ARGV[4]  RedisKeys.allocationsPrefix()
-- ARGV[5…] record hash as field, value, field, value …
-- Returns  the lease expiry (epoch ms, Redis clock)
-- @include now-ms
-- @include task-manager-liveness

local now = nowMs()
purgeExpired(KEYS[1], ARGV[3], ARGV[4], now)
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('HSET', KEYS[2], unpack(ARGV, 5))
local expiresAt = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], expiresAt, ARGV[1])
return expiresAt
