-- Current time in epoch ms from the Redis server's clock. Every lease is stamped and judged
-- by this one clock, so skew between TaskManager and JobManager hosts cannot shorten or
-- stretch a lease. Redis 7 replicates scripts by their effects, so reading TIME before a
-- write is allowed and replicas receive the computed values.
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
