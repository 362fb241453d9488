"""The Lua scripts that keep the shared state atomic in Redis (run with ``register_script``: EVALSHA).

Each reads its clock from the Redis server (``TIME``), so that every host
sharing a key agrees on "now" whatever its own clock says. Numbers are
stored with 17 significant digits: ``tostring`` would keep 14, which at
today's epoch is a tenth of a millisecond, enough to bias a fast limit.
"""

from __future__ import annotations

__all__ = ["RATE_TAKE", "RATE_FEED", "BUDGET"]

# GCRA slots, by the rules of genai_base's local limiter: KEYS[1] holds the theoretical
# arrival time of the next request; a request may go (burst - 1) intervals before it.
# ARGV: interval (s), burst, lease window (s), lease (how many slots to lease besides the callers'),
# then one max_wait (s; negative: no bound) per caller, in order: the callers of one process that
# arrived together are served by one call.
# Returns {taken, wait} per caller (taken 1: its slot is `wait` s from now; 0: none within its
# max_wait, nothing taken for it), then {leased, first}: once every caller is served, and only if
# none of them has to wait (the fleet is below its limit), up to `lease` further slots that come
# within the window, for the process to use without asking again; the i-th (from 0) is
# max(first + i * interval, 0) s from now.
RATE_TAKE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local interval = tonumber(ARGV[1])
local tolerance = (tonumber(ARGV[2]) - 1) * interval
local window = tonumber(ARGV[3])
local lease = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or 0)
if tat < now then tat = now end
local taken = false
local refused = false
local waited = false
local out = {}
for i = 5, #ARGV do
  local max_wait = tonumber(ARGV[i])
  local wait = tat - tolerance - now
  if wait < 0 then wait = 0 end
  if max_wait >= 0 and wait > max_wait then
    out[#out + 1] = 0
    refused = true
  else
    out[#out + 1] = 1
    tat = tat + interval
    taken = true
    if wait > 0 then waited = true end
  end
  out[#out + 1] = string.format('%.6f', wait)
end
local first = tat - tolerance - now
local leased = 0
if not refused and not waited then
  while leased < lease and tat - tolerance - now <= window do
    tat = tat + interval
    leased = leased + 1
  end
end
if leased > 0 then taken = true end
out[#out + 1] = leased
out[#out + 1] = string.format('%.9f', first)
if taken then
  -- Kept only while it says something: once tat has passed, a missing key means the same (a full bucket).
  redis.call('SET', KEYS[1], string.format('%.17g', tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
end
return out
"""

# Server feedback for every sharer: nothing before now + pause (then one request, no burst),
# and at most `remaining` requests left. Only ever moves the schedule later.
# ARGV: interval (s), burst, pause (s; negative: none), remaining (negative: none).
# Returns the wait a request asking now would get.
RATE_FEED = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tolerance = (burst - 1) * interval
local pause = tonumber(ARGV[3])
local remaining = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or 0)
local later = tat
if pause >= 0 then later = math.max(later, now + pause + tolerance) end
if remaining >= 0 and remaining < burst then later = math.max(later, now + (burst - remaining) * interval) end
if later > tat then
  redis.call('SET', KEYS[1], string.format('%.17g', later), 'PX', math.ceil((later - now) * 1000) + 1000)
end
return string.format('%.6f', math.max(later - tolerance - now, 0))
"""

# The budgeted retry policy's bucket: KEYS[1] holds the tokens left (missing: full).
# ARGV: capacity, cost (0: only refund and read), refund (added first, capped at capacity).
# Returns {1 if cost was taken else 0, tokens left}.
BUDGET = """
local capacity = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local refund = tonumber(ARGV[3])
local tokens = tonumber(redis.call('GET', KEYS[1]) or capacity)
tokens = math.min(capacity, tokens + refund)
local taken = 0
if cost > 0 and tokens >= cost then
  tokens = tokens - cost
  taken = 1
end
redis.call('SET', KEYS[1], string.format('%.17g', tokens), 'EX', 3600)
return {taken, string.format('%.17g', tokens)}
"""
