-- Next checkpoint id of one job (RedisCheckpointIdCounter).
-- KEYS[1] the job's counter
-- ARGV[1] floor: the id returned is greater than it (the latest completed checkpoint)
-- Returns the new id.
local id = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[1])
if id <= floor then
  id = floor + 1
  redis.call('SET', KEYS[1], id)
end
return id
