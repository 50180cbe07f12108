/**
 * The Lua scripts of `RedisStore`. Redis runs a script whole, with nothing in between, so the
 * fencing check and the write it guards are one step: a coordinator whose token is no longer the
 * plan's latest cannot slip a record in after another took the plan over.
 *
 * The fencing token is the `fence` key (INCR on every new owner); the lease key names the owner
 * and expires unless renewed. A write checks the token, not the lease: while the token is still
 * this owner's, nobody else took the plan, so a lease that ran out meanwhile is set again.
 *
 * Every script checks the kinds of its keys before it changes anything: Redis does not undo the
 * first commands of a script that fails halfway.
 */

/** KEYS: lease, fence. ARGV: owner JSON without its closing brace, lease ms. */
export const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current then return {0, current, redis.call('PTTL', KEYS[1])} end
local fence = redis.call('INCR', KEYS[2])
local owner = ARGV[1] .. ',"fence":' .. fence .. '}'
redis.call('SET', KEYS[1], owner, 'PX', ARGV[2])
return {1, owner, tonumber(ARGV[2])}
`;

/** KEYS: lease, fence. ARGV: fence, owner JSON, lease ms. Returns {1} or {0, the lease now}. */
export const RENEW = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return {0, redis.call('GET', KEYS[1]) or ''}
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return {1}
`;

/** KEYS: lease, fence. ARGV: fence. Deletes the lease only while the token is this owner's. */
export const RELEASE = `
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`;

/**
 * KEYS: journal, lease, fence, summary, plans, snapshot.
 * ARGV: fence, owner JSON, lease ms, expected length, begin ('1' or '0'), plan id, updatedAt,
 * status ('' for unchanged), checkpoint, then the lines.
 *
 * Returns {'ok', length}, {'done', length}, {'lost', lease}, {'wrongtype', key, type},
 * {'journal', length} (a new plan's key holds a journal) or {'mismatch', length}. When the list
 * is longer than expected and what follows the expected length is the start of these lines, an
 * earlier try landed but its reply was lost with its connection: only the rest is appended
 * ('done' when nothing is left).
 */
export const APPEND = `
if redis.call('GET', KEYS[3]) ~= ARGV[1] then
  return {'lost', redis.call('GET', KEYS[2]) or ''}
end
local kinds = {{1, 'list'}, {4, 'hash'}, {5, 'set'}}
for _, k in ipairs(kinds) do
  local kind = redis.call('TYPE', KEYS[k[1]])['ok']
  if kind ~= 'none' and kind ~= k[2] then return {'wrongtype', KEYS[k[1]], kind} end
end
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
local first = 10
local n = #ARGV - first + 1
local expected = tonumber(ARGV[4])
local length = redis.call('LLEN', KEYS[1])
if length ~= expected then
  -- A write whose reply was lost may have landed: its lines are the first of these.
  local landed = length - expected
  if landed <= 0 or landed > n then
    if ARGV[5] == '1' then return {'journal', length} end
    return {'mismatch', length}
  end
  local there = redis.call('LRANGE', KEYS[1], expected, length - 1)
  for j = 1, landed do
    if there[j] ~= ARGV[first + j - 1] then
      if ARGV[5] == '1' then return {'journal', length} end
      return {'mismatch', length}
    end
  end
  first = first + landed
  if first > #ARGV then return {'done', length} end
elseif ARGV[5] == '1' then
  redis.call('DEL', KEYS[6])
end
local i = first
while i <= #ARGV do
  local last = math.min(i + 999, #ARGV)
  redis.call('RPUSH', KEYS[1], unpack(ARGV, i, last))
  i = last + 1
end
local fields = {'planId', ARGV[6], 'owner', ARGV[2], 'updatedAt', ARGV[7], 'records', redis.call('LLEN', KEYS[1]) - 1}
if ARGV[8] ~= '' then
  table.insert(fields, 'status')
  table.insert(fields, ARGV[8])
  table.insert(fields, 'checkpoint')
  table.insert(fields, ARGV[9])
end
redis.call('HSET', KEYS[4], unpack(fields))
redis.call('SADD', KEYS[5], ARGV[6])
return {'ok', redis.call('LLEN', KEYS[1])}
`;

/** KEYS: snapshot, lease, fence. ARGV: fence, snapshot JSON. Returns 1, or {0, the lease now}. */
export const SNAPSHOT = `
if redis.call('GET', KEYS[3]) ~= ARGV[1] then
  return {0, redis.call('GET', KEYS[2]) or ''}
end
redis.call('SET', KEYS[1], ARGV[2])
return {1}
`;
