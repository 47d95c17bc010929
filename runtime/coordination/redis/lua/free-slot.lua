-- Frees one slot, only when it is held by the given allocation id, so a stale or confused
-- caller cannot free a slot that was meanwhile given to someone else. An expired TaskManager
-- holds nothing, so freeing on it returns 0 (and cleans it up).
--
-- KEYS[1]  {p}:tms            lease set
-- KEYS[2]  {p}:tm:{id}        record hash
-- KEYS[3]  {p}:alloc:{id}     allocations hash
-- ARGV[1]  TaskManager id
-- ARGV[2]  slot index (decimal string)
-- ARGV[3]  allocation id
-- Returns  1 when freed, 0 otherwise
-- @include now-ms
-- @include task-manager-liveness

local now = nowMs()
if not ensureLive(KEYS[1], KEYS[2], KEYS[3], ARGV[1], now) then
  return 0
end
local current = redis.call('HGET', KEYS[3], ARGV[2])
if not current or cjson.decode(current).allocationId ~= ARGV[3] then
  return 0
end
redis.call('HDEL', KEYS[3], ARGV[2])
return 1
