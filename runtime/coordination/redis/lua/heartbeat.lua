-- Extends a TaskManager's lease to now + lease, but only while it is live: an expired lease is
-- never revived (the TaskManager must register again, which drops its stale allocations).
--
-- KEYS[1]  {p}:tms            lease set
-- KEYS[2]  {p}:tm:{id}        record hash
-- KEYS[3]  {p}:alloc:{id}     allocations hash
-- ARGV[1]  TaskManager id
-- ARGV[2]  lease in ms (positive integer)
-- Returns  1 when extended, 0 when the TaskManager is unknown or expired
-- @include now-ms
-- @include task-manager-liveness

local now = nowMs()
if not ensureLive(KEYS[1], KEYS[2], KEYS[3], ARGV[1], now) then
  return 0
end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
return 1
