-- Frees every slot held for one job on every live TaskManager (expired ones are purged first,
-- their allocations are gone anyway). Walks all allocations: the registry holds tens to
-- hundreds of TaskManagers, so a scan beats keeping a per-job index consistent.
--
-- KEYS[1]  {p}:tms            lease set
-- ARGV[1]  job id
-- ARGV[2]  RedisKeys.taskManagerPrefix()
-- ARGV[3]  RedisKeys.allocationsPrefix()
-- Returns  the number of slots freed
-- @include now-ms
-- @include task-manager-liveness

local now = nowMs()
purgeExpired(KEYS[1], ARGV[2], ARGV[3], now)
local freed = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local allocKey = ARGV[3] .. id
  local entries = redis.call('HGETALL', allocKey)
  for i = 1, #entries, 2 do
    if cjson.decode(entries[i + 1]).jobId == ARGV[1] then
      redis.call('HDEL', allocKey, entries[i])
      freed = freed + 1
    end
  end
end
return freed
