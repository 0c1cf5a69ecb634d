/**
 * The Lua scripts of the Redis record store (redis-records.ts). Why scripts: Redis runs each one atomically, so a
 * save, a consume or a session's end never interleaves with another node's. Keys under the prefix ARGV[1]:
 * `r:<model>:<id>` a record (a hash: payload, session, grant, uid, userCode, expiresAt, consumed), `uid:<model>:<uid>`
 * and `code:<model>:<userCode>` its lookups, `g:<grantId>` and `s:<sessionId>` sets of record keys per grant and per
 * Gatehouse session. The scripts name keys they derive (not only KEYS): one Redis or a primary with replicas, not
 * Redis Cluster.
 */

/** Adds the record key KEYS[1] to a set that must live as long as its longest-living member (`ttl` 0: for ever). */
const MEMBER = `local function member(set, ttl)
  local existed = redis.call('EXISTS', set)
  redis.call('SADD', set, KEYS[1])
  if ttl == 0 then redis.call('PERSIST', set) return end
  local left = redis.call('TTL', set)
  if existed == 0 or (left >= 0 and left < ttl) then redis.call('EXPIRE', set, ttl) end
end
`;

/** Removes every record of a grant that is still the grant's, and the grant's set. */
const REMOVE_GRANT = `local function removeGrant(p, grantId)
  local set = p .. 'g:' .. grantId
  for _, key in ipairs(redis.call('SMEMBERS', set)) do
    if redis.call('HGET', key, 'grant') == grantId then redis.call('DEL', key) end
  end
  redis.call('DEL', set)
end
`;

/**
 * KEYS[1] the record; ARGV: prefix, model, id, payload, session ('' keeps the saved one), expiresAt, ttl seconds
 * (0: none), grant, uid, userCode, consumed, grant required ('1': write nothing once the grant is gone). Replaces the
 * record, keeping its Gatehouse session unless one is named. Answers 0 when it wrote nothing.
 */
export const SAVE = `${MEMBER}
local p, model, id, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[7])
if ARGV[12] == '1' and redis.call('EXISTS', p .. 'r:Grant:' .. ARGV[8]) == 0 then return 0 end
local session = ARGV[5]
if session == '' then session = redis.call('HGET', KEYS[1], 'session') or '' end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'model', model, 'id', id, 'payload', ARGV[4], 'session', session, 'expiresAt', ARGV[6],
  'grant', ARGV[8], 'uid', ARGV[9], 'userCode', ARGV[10])
if ARGV[11] ~= '' then redis.call('HSET', KEYS[1], 'consumed', ARGV[11]) end
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
local function index(key)
  if ttl > 0 then redis.call('SET', key, id, 'EX', ttl) else redis.call('SET', key, id) end
end
if ARGV[9] ~= '' then index(p .. 'uid:' .. model .. ':' .. ARGV[9]) end
if ARGV[10] ~= '' then index(p .. 'code:' .. model .. ':' .. ARGV[10]) end
if ARGV[8] ~= '' then member(p .. 'g:' .. ARGV[8], ttl) end
if session ~= '' then member(p .. 's:' .. session, ttl) end
return 1`;

/**
 * ARGV: prefix, model, field (id, uid, userCode), value. Answers {payload, session, expiresAt, consumed} ('' for
 * none), or nil. A lookup whose record was saved again with another uid or userCode answers nil.
 */
export const FIND = `local p, model, field, value = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local id = value
if field ~= 'id' then
  id = redis.call('GET', p .. (field == 'uid' and 'uid:' or 'code:') .. model .. ':' .. value)
  if not id then return nil end
end
local record = redis.call('HMGET', p .. 'r:' .. model .. ':' .. id, 'payload', 'session', 'expiresAt', 'consumed', field)
if not record[1] then return nil end
if field ~= 'id' and record[5] ~= value then return nil end
return {record[1], record[2] or '', record[3] or '', record[4] or ''}`;

/** KEYS[1] the record; ARGV: prefix, the time. 1 when this call marked it consumed, 0 when it is gone or was consumed. */
export const CONSUME = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'consumed', ARGV[2])`;

/** KEYS[1] the record. Removes it; answers its Gatehouse session ('' for none). */
export const REMOVE = `local session = redis.call('HGET', KEYS[1], 'session') or ''
redis.call('DEL', KEYS[1])
return session`;

/** ARGV: prefix, grant id. */
export const REMOVE_GRANT_SCRIPT = `${REMOVE_GRANT}
removeGrant(ARGV[1], ARGV[2])
return 1`;

/** KEYS[1] the grant's record; ARGV: prefix, the browser session's uid. Binds the grant to that session's Gatehouse session. */
export const BIND_GRANT = `${MEMBER}
local p, uid = ARGV[1], ARGV[2]
local id = redis.call('GET', p .. 'uid:Session:' .. uid)
if not id then return 0 end
local browser = redis.call('HMGET', p .. 'r:Session:' .. id, 'session', 'uid')
if not browser[1] or browser[1] == '' or browser[2] ~= uid then return 0 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'session', browser[1])
local ttl = redis.call('TTL', KEYS[1])
member(p .. 's:' .. browser[1], ttl > 0 and ttl or 0)
return 1`;

/**
 * ARGV: prefix, then Gatehouse session ids. Removes every record still bound to one of them (a grant with all its
 * records) and answers the payloads of the browser sessions among them.
 */
export const TAKE_SESSIONS = `${REMOVE_GRANT}
local p = ARGV[1]
local browsers = {}
for i = 2, #ARGV do
  local set = p .. 's:' .. ARGV[i]
  for _, key in ipairs(redis.call('SMEMBERS', set)) do
    local record = redis.call('HMGET', key, 'session', 'model', 'id', 'payload')
    if record[1] == ARGV[i] then
      redis.call('DEL', key)
      if record[2] == 'Session' then table.insert(browsers, record[4]) end
      if record[2] == 'Grant' then removeGrant(p, record[3]) end
    end
  end
  redis.call('DEL', set)
end
return browsers`;
