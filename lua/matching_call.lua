-- The start and the end every matching call shares (place_orders, amend_order, trigger_stops): its
-- settings, read from ARGV[1..13] before anything is written; and at its end what it changed, written
-- once: its trades to the market's stream, the sequence and the number of resting orders when the book
-- moved, the funds and the stops it changed, and its events published.
-- (One table of two functions: the library's main chunk is close to Lua's limit of 200 locals.)

local MATCHING_CALL = {}

-- Reads ARGV[1..13] (place_orders.lua lists them) into the engine's settings and the funds'
-- (FUNDS.start). Returns the trades stream's MAXLEN, as text, and how many stops the call may place.
function MATCHING_CALL.settings()
  NOW, RETENTION = int_arg(1, 0), int_arg(2, 1)
  MAX_TOUCH = int_arg(3, 1, 1000)
  local trades_maxlen = fmt(int_arg(4, 1))
  MAX_OPEN, HISTORY_CAP, MAX_RESTING = int_arg(5, 1), int_arg(6, 1), int_arg(7, 1)
  FUNDS.start(int_arg(8, 1), int_arg(9, 1), int_arg(10, -999999, 999999), int_arg(11, 0, 999999), int_arg(12, 1))
  return trades_maxlen, int_arg(13, 0, 10000)
end

-- Writes what the call changed (above), the market's sequence having been `seq_before` when it
-- started; publishes `events[1..nevents]` joined, and returns them joined.
function MATCHING_CALL.finish(seq_before, trades_maxlen, events, nevents)
  if nstreamed > 0 then
    call('XADD', KEYS[4], 'MAXLEN', '~', trades_maxlen, '*', 't', concat(STREAMED, '', 1, nstreamed))
  end
  -- (The number of resting orders changes only with the book, and so with the sequence.)
  if SEQ ~= seq_before then
    call('MSET', KEYS[1], fmt(SEQ), resting_key(), fmt(RESTING))
  end
  FUNDS.store()
  STOPS.store()
  local payload = concat(events, '', 1, nevents)
  if nevents > 0 then
    call('PUBLISH', P .. ':events', payload)
  end
  return payload
end
