-- engine_format: the library's formats and codes by name, for the engine test that checks that the
-- Rust side (backend/src/engine/wire.rs) agrees with them. Read-only.
--
-- KEYS[1] any market's {S}:seq (only to route the call).
-- Returns name, value, name, value, ...: the formats as struct.pack takes them, the codes as text.

return {
  'ID', ID, 'RECORD', REC, 'ENTRY', ENTRY, 'ORDER_ARG', ORDER_ARG, 'TRADE', TRADE, 'FILL_HEAD', FILL_HEAD,
  'TRADE_GROUP', TRADE_GROUP, 'CANDLE', CANDLE, 'LEVEL', LEVEL, 'EVENT', EVENT, 'ACCOUNT', ACCOUNT, 'FEES', FEES,
  'STOP_TAIL', STOP_TAIL,
  'BUY', fmt(BUY), 'SELL', fmt(SELL), 'LIMIT', fmt(LIMIT), 'MARKET', fmt(MARKET),
  'GTC', fmt(GTC), 'IOC', fmt(IOC), 'FOK', fmt(FOK),
  'OPEN', fmt(OPEN), 'PARTIALLY_FILLED', fmt(PARTIAL), 'FILLED', fmt(FILLED), 'CANCELLED', fmt(CANCELLED),
  'PENDING', fmt(PENDING),
  'TYPE_UNIT', fmt(TYPE_UNIT), 'TIF_UNIT', fmt(TIF_UNIT), 'POST_ONLY_UNIT', fmt(POST_ONLY_UNIT),
  'STATUS_UNIT', fmt(STATUS_UNIT),
  'BUCKET_IDS', fmt(BUCKET_IDS), 'TRADES_PER_ORDER', fmt(TRADES_PER_ORDER),
  'REPLY_OK', REPLY_OK, 'REPLY_DUP', REPLY_DUP, 'REPLY_REFUSED', REPLY_REFUSED,
  'REFUSALS', concat({ REFUSAL.NOT_FOUND, REFUSAL.ORDER_NOT_OPEN, REFUSAL.POST_ONLY_WOULD_CROSS,
    REFUSAL.TOO_MANY_OPEN_ORDERS, REFUSAL.LEVEL_FULL, REFUSAL.MARKET_FULL, INSUFFICIENT_FUNDS,
    REFUSAL.INVALID_QUANTITY, REFUSAL.WOULD_TRIGGER_IMMEDIATELY }, ','),
}
