-- A TaskManager is live when the lease set scores it later than `now` and its record exists.
-- Whatever is found expired (or half-written) is deleted on the spot: expired TaskManagers
-- are absent for every caller, and nothing else ever needs to sweep them.

-- Deletes one TaskManager: lease entry, record and allocations.
local function dropTaskManager(tmsKey, tmKey, allocKey, id)
  redis.call('ZREM', tmsKey, id)
  redis.call('DEL', tmKey, allocKey)
end

-- True when the TaskManager is live; otherwise cleans up its leftovers and returns false.
local function ensureLive(tmsKey, tmKey, allocKey, id, now)
  local score = redis.call('ZSCORE', tmsKey, id)
  if score and tonumber(score) > now and redis.call('EXISTS', tmKey) == 1 then
    return true
  end
  dropTaskManager(tmsKey, tmKey, allocKey, id)
  return false
end

-- Deletes every TaskManager whose lease expired at or before `now`. Key names of other
-- TaskManagers are the prefixes from RedisKeys (passed as ARGV) plus the id.
local function purgeExpired(tmsKey, tmKeyPrefix, allocKeyPrefix, now)
  local expired = redis.call('ZRANGEBYSCORE', tmsKey, '-inf', now)
  for _, id in ipairs(expired) do
    dropTaskManager(tmsKey, tmKeyPrefix .. id, allocKeyPrefix .. id, id)
  end
  return #expired
end
