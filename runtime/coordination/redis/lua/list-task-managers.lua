-- Snapshot of every live TaskManager with its allocations, read in one atomic step so a
-- caller never sees an allocation without its TaskManager. Purges expired TaskManagers first
-- (which is why this script writes and is not read-only).
--
-- KEYS[1]  {p}:tms            lease set
-- ARGV[1]  RedisKeys.taskManagerPrefix()
-- ARGV[2]  RedisKeys.allocationsPrefix()
-- Returns  an array of { id, leaseExpiresAt, record hash (flat), allocations hash (flat) },
--          in lease order (the client sorts by id)
-- @include now-ms
-- @include task-manager-liveness

local now = nowMs()
purgeExpired(KEYS[1], ARGV[1], ARGV[2], now)
local out = {}
local live = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #live, 2 do
  local id = live[i]
  local record = redis.call('HGETALL', ARGV[1] .. id)
  if #record == 0 then
    -- A lease without a record can only be debris from a manual edit; drop it.
    dropTaskManager(KEYS[1], ARGV[1] .. id, ARGV[2] .. id, id)
  else
    table.insert(out, { id, live[i + 1], record, redis.call('HGETALL', ARGV[2] .. id) })
  end
end
return out
