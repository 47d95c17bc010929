-- Acquire the leader lease if nobody holds it (RedisLeaderElection).
-- KEYS[1] lease (value = holder contender id), KEYS[2] fencing token counter, KEYS[3] leader info hash
-- ARGV[1] contender id, ARGV[2] lease duration ms, ARGV[3] REST URL, ARGV[4] control address,
-- ARGV[5] token floor: the new token is greater than it (the highest token the contender has
--         seen), so a counter lost with a Redis restart never goes back below a token in use.
-- ARGV[6] '1' when the floor includes the durable record (read from the blob store just now).
-- Returns the new fencing token; {0, ms} when another contender holds the lease for ms more
-- milliseconds (so a standby can try again right when it lapses); -1 when the counter is
-- missing (a new or emptied Redis) and the floor is not durable: the caller reads the durable
-- floor and tries again.
local remaining = redis.call('PTTL', KEYS[1])
if remaining ~= -2 then
  return {0, remaining}
end
if ARGV[6] ~= '1' and redis.call('EXISTS', KEYS[2]) == 0 then
  return -1
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local token = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[5])
if token <= floor then
  token = floor + 1
  redis.call('SET', KEYS[2], token)
end
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], 'contender', ARGV[1], 'token', token, 'rest', ARGV[3], 'control', ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return token
