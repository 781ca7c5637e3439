/**
 * Lua scripts for the check-then-act steps that must be atomic across replicas.
 * Hash fields of `refresh:<userId>:<sessionId>`:
 *   cur  hash of the current refresh token      prev  hash of the one it replaced
 *   rot  ms timestamp of the last real rotation disp  hashes displaced inside the grace window
 */
export const ROTATE_REFRESH = `
local key = KEYS[1]
local presented = ARGV[1]
local fresh = ARGV[2]
local now = tonumber(ARGV[3])
local grace = tonumber(ARGV[4])
if redis.call('EXISTS', key) == 0 then return 'missing' end
local cur = redis.call('HGET', key, 'cur')
if presented == cur then
  redis.call('HSET', key, 'prev', cur, 'cur', fresh, 'rot', now, 'disp', '', 'lastUsedAt', now)
  return 'rotated'
end
local prev = redis.call('HGET', key, 'prev')
local rot = tonumber(redis.call('HGET', key, 'rot') or '0')
if prev and presented == prev and now - rot <= grace then
  local disp = redis.call('HGET', key, 'disp') or ''
  if string.len(disp) < 65 * 32 then disp = disp .. cur .. ' ' end
  redis.call('HSET', key, 'cur', fresh, 'disp', disp, 'lastUsedAt', now)
  return 'grace'
end
local disp = redis.call('HGET', key, 'disp') or ''
if string.find(disp, presented .. ' ', 1, true) then return 'stale' end
return 'reuse'
`;

/**
 * One attempt at an OTP-guarded record (`register:<email>` / `reset:<email>`): counts the try,
 * consumes the record on a match, and turns it into an `exceeded` marker after the last wrong try.
 * Returns {status, data?, remaining?}.
 */
export const ATTEMPT_OTP = `
local key = KEYS[1]
local presented = ARGV[1]
local maxAttempts = tonumber(ARGV[2])
if redis.call('EXISTS', key) == 0 then return {'missing'} end
if redis.call('HGET', key, 'state') == 'exceeded' then return {'exceeded'} end
local attempts = redis.call('HINCRBY', key, 'attempts', 1)
if attempts <= maxAttempts and redis.call('HGET', key, 'otp') == presented then
  local data = redis.call('HGET', key, 'data') or ''
  redis.call('DEL', key)
  return {'ok', data}
end
if attempts >= maxAttempts then
  local ttl = redis.call('PTTL', key)
  redis.call('DEL', key)
  redis.call('HSET', key, 'state', 'exceeded')
  if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
  return {'exceeded'}
end
return {'invalid', tostring(maxAttempts - attempts)}
`;
