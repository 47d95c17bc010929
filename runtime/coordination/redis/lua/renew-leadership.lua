-- Extend the leader lease if this contender still holds it with this token (compare-and-extend).
-- KEYS[1] lease, KEYS[2] leader info hash
-- ARGV[1] contender id, ARGV[2] fencing token, ARGV[3] lease duration ms
-- Returns 1 when extended, 0 when the lease lapsed or belongs to another leadership.
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('HGET', KEYS[2], 'token') ~= ARGV[2] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
