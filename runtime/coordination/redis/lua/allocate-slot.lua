-- Allocates one slot atomically. Checks, in order: a fenced request's token is not lower than
-- the fencing counter (else a newer leader exists; a higher one lifts the counter, as after a
-- Redis restart that lost it), the TaskManager is live, the slot index is
-- an integer in [0, numberOfSlots), the slot is free (or already held by this same allocation
-- id: a retried call succeeds), and, for a known profile, that the profiles of the current
-- allocations plus the requested one fit the TaskManager's total resources in every field.
-- Allocations with the unknown profile are charged nothing.
--
-- KEYS[1]  {p}:tms            lease set
-- KEYS[2]  {p}:tm:{id}        record hash (numberOfSlots, totalResources JSON)
-- KEYS[3]  {p}:alloc:{id}     allocations hash (slot index -> allocation JSON)
-- KEYS[4]  {p}:leader:fencing fencing token counter of the leader election
-- ARGV[1]  TaskManager id
-- ARGV[2]  slot index (decimal string)
-- ARGV[3]  allocation id
-- ARGV[4]  allocation JSON to store: {"allocationId","jobId","profile"?}
-- ARGV[5]  requested profile JSON, or '' for the unknown profile (no resource check)
-- ARGV[6]  JSON array of the resource field names to compare (RESOURCE_FIELDS)
-- ARGV[7]  fencing token of the allocating leader, or '' for an unfenced request
-- Returns  a SlotAllocationOutcome string
-- @include now-ms
-- @include task-manager-liveness

-- Sum of the allocated profiles plus `requested`, compared field by field with `total`; the
-- epsilon matches profileFits() in resource-profile.ts so both adapters agree on fractions.
local function fitsResources(allocKey, total, requested, fields)
  local used = {}
  for _, f in ipairs(fields) do used[f] = tonumber(requested[f]) or 0 end
  for _, value in ipairs(redis.call('HVALS', allocKey)) do
    local profile = cjson.decode(value).profile
    if type(profile) == 'table' then
      for _, f in ipairs(fields) do used[f] = used[f] + (tonumber(profile[f]) or 0) end
    end
  end
  for _, f in ipairs(fields) do
    if used[f] > (tonumber(total[f]) or 0) + 1e-9 then return false end
  end
  return true
end

if ARGV[7] ~= '' then
  local token = tonumber(ARGV[7])
  local highest = tonumber(redis.call('GET', KEYS[4]) or '0')
  if token < highest then return 'STALE_LEADER' end
  if token > highest then redis.call('SET', KEYS[4], ARGV[7]) end
end

local now = nowMs()
if not ensureLive(KEYS[1], KEYS[2], KEYS[3], ARGV[1], now) then
  return 'TASK_MANAGER_NOT_LIVE'
end
local record = redis.call('HMGET', KEYS[2], 'numberOfSlots', 'totalResources')
local slot = tonumber(ARGV[2])
if slot == nil or slot ~= math.floor(slot) or slot < 0 or slot >= tonumber(record[1]) then
  return 'SLOT_OUT_OF_RANGE'
end
local current = redis.call('HGET', KEYS[3], ARGV[2])
if current then
  if cjson.decode(current).allocationId == ARGV[3] then return 'ALREADY_ALLOCATED' end
  return 'SLOT_TAKEN'
end
if ARGV[5] ~= '' then
  local total = cjson.decode(record[2])
  if not fitsResources(KEYS[3], total, cjson.decode(ARGV[5]), cjson.decode(ARGV[6])) then
    return 'INSUFFICIENT_RESOURCES'
  end
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
return 'ALLOCATED'
