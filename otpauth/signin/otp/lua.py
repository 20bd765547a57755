"""The code store's Lua scripts: each check-and-count is one atomic call on the server.

Text only: which keys they are given, and what those keys are called, is ``store.py``'s
business (``KEYS[n]`` here are always one contact's keys, in one hash-tag slot).
"""

ISSUE = """
local code, sends, cool, fails, who = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local ttl, max_sends, window = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local cooldown, max_fails = tonumber(ARGV[7]), tonumber(ARGV[8])
if tonumber(redis.call('GET', fails) or '0') >= max_fails then
  return {'locked', math.max(redis.call('TTL', fails), 1)}
end
if cooldown > 0 then
  local wait = redis.call('TTL', cool)
  if wait > 0 then return {'cooldown', wait} end
end
if tonumber(redis.call('GET', sends) or '0') >= max_sends then
  return {'limited', math.max(redis.call('TTL', sends), 1)}
end
local cid = ARGV[3]
if cid == '?' then
  cid = redis.call('GET', who)
  if not cid then return {'gone', 0} end
end
redis.call('INCR', sends)
if redis.call('TTL', sends) < 0 then redis.call('EXPIRE', sends, window) end
if cooldown > 0 then redis.call('SET', cool, '1', 'EX', cooldown) end
local h = ARGV[1]
if cid == '' then h = ARGV[2] end
redis.call('DEL', code)
redis.call('HSET', code, 'h', h, 'n', 0, 'cid', cid, 'iat', ARGV[9], 'id', ARGV[10],
  'via', ARGV[11], 'lang', ARGV[12])
redis.call('EXPIRE', code, ttl)
redis.call('SET', who, cid, 'EX', math.max(window, ttl))
return {'issued', cid}
"""

VERIFY = """
local code, fails, cool = KEYS[1], KEYS[2], KEYS[3]
local max_attempts, max_fails = tonumber(ARGV[2]), tonumber(ARGV[3])
-- Every refusal also says how long the resend cooldown runs: the page shows it, and the
-- answer stays one round trip.
local function refuse(status, left, cid, ttl)
  return {status, left, cid, ttl, math.max(redis.call('TTL', cool), 0)}
end
local rec = redis.call('HMGET', code, 'h', 'n', 'cid')
if not rec[1] then return refuse('expired', 0, '', 0) end
local used = tonumber(rec[2])
if used >= max_attempts or tonumber(redis.call('GET', fails) or '0') >= max_fails then
  return refuse('locked', 0, rec[3], 0)
end
-- Compare every character, with no early exit: the time taken does not depend on
-- where the stored hash and the candidate first differ.
local stored, candidate, diff = rec[1], ARGV[1], 0
if #stored ~= #candidate then diff = 1 end
for i = 1, math.min(#stored, #candidate) do
  if string.byte(stored, i) ~= string.byte(candidate, i) then diff = diff + 1 end
end
if diff == 0 then
  redis.call('DEL', code)
  return {'ok', 0, rec[3], 0, 0}
end
used = redis.call('HINCRBY', code, 'n', 1)
redis.call('INCR', fails)
if redis.call('TTL', fails) < 0 then redis.call('EXPIRE', fails, ARGV[4]) end
if used >= max_attempts then return refuse('locked', 0, rec[3], 0) end
return refuse('invalid', max_attempts - used, rec[3], redis.call('TTL', code))
"""

VERIFY_TOTP = """
local code, fails, step = KEYS[1], KEYS[2], KEYS[3]
local need_request, max_attempts = ARGV[8] == '1', tonumber(ARGV[9])
local max_fails = tonumber(ARGV[10])
local used, cid = 0, ''
if need_request then
  local rec = redis.call('HMGET', code, 'n', 'cid')
  if not rec[1] then return {'expired', 0, '', 0, 0} end
  used, cid = tonumber(rec[1]), rec[2]
  if used >= max_attempts then return {'locked', 0, cid, 0, 0} end
end
if tonumber(redis.call('GET', fails) or '0') >= max_fails then
  return {'locked', 0, cid, 0, 0}
end
-- Compare the candidate with each accepted code's hash, every character, no early exit.
local candidate, matched = ARGV[1], 0
for i = 2, 4 do
  local stored, diff = ARGV[i], 0
  if #stored ~= #candidate then diff = 1 end
  for j = 1, math.min(#stored, #candidate) do
    if string.byte(stored, j) ~= string.byte(candidate, j) then diff = diff + 1 end
  end
  if diff == 0 then matched = i + 3 end
end
if matched > 0 then
  local s = tonumber(ARGV[matched])
  -- Step 0: a code without a time step (a recovery code, checked in SQL).
  if s == 0 or s > tonumber(redis.call('GET', step) or '-1') then
    if s > 0 then redis.call('SET', step, s, 'EX', ARGV[12]) end
    if need_request then redis.call('DEL', code) end
    return {'ok', 0, cid, 0, s}
  end
end
redis.call('INCR', fails)
if redis.call('TTL', fails) < 0 then redis.call('EXPIRE', fails, ARGV[11]) end
if not need_request then return {'invalid', 0, cid, 0, 0} end
used = redis.call('HINCRBY', code, 'n', 1)
if used >= max_attempts then return {'locked', 0, cid, 0, 0} end
return {'invalid', max_attempts - used, cid, redis.call('TTL', code), 0}
"""

# A fresh code for the pending request, by its fallback channel (WhatsApp -> SMS): once
# per request. Only while the live code still goes by ARGV[6] (and, when ARGV[1] is set,
# is that code); ARGV[5] = '1': not when the provider reported it delivered. The attempts
# used, the expiry, the window's sends and the cooldown stay as they are, so the pending
# request answers every question exactly as before (customer or stranger alike).
FALL_BACK = """
local code = KEYS[1]
local rec = redis.call('HMGET', code, 'id', 'cid', 'via', 'dl', 'lang')
if not rec[1] then return {'gone', '', '', 0} end
if rec[3] ~= ARGV[6] or (ARGV[1] ~= '' and rec[1] ~= ARGV[1]) then
  return {'moved', '', '', 0}
end
if ARGV[5] == '1' and rec[4] then return {'delivered', '', '', 0} end
local h = ARGV[2]
if rec[2] == '' then h = ARGV[3] end
redis.call('HSET', code, 'h', h, 'id', ARGV[4], 'via', ARGV[7])
return {'fell_back', rec[2], rec[5] or '', redis.call('TTL', code)}
"""

# The provider delivered code ARGV[1] (if it is still the live one): no fallback for it.
DELIVERED = """
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'dl', '1')
  return 1
end
return 0
"""
