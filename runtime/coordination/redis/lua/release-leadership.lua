-- Give the leader lease up if this contender still holds it with this token.
-- KEYS[1] lease, KEYS[2] leader info hash
-- ARGV[1] contender id, ARGV[2] fencing token, ARGV[3] leader change channel ('released' is
-- published there, so a standby campaigns at once instead of at its next retry)
-- Returns 1 when released, 0 when it was not held (lapsed, or another leadership's).
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('HGET', KEYS[2], 'token') ~= ARGV[2] then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('PUBLISH', ARGV[3], 'released')
return 1
