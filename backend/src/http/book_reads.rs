//! Reading a book snapshot for a client, REST or WebSocket, through the cache (`book_cache`): the
//! depth asked for is served from its tier's snapshot, cut to size.

use std::sync::Arc;

use common::Symbol;

use super::book_cache::{tier, Taken};
use super::error::ApiError;
use super::state::AppState;

/// A snapshot covering `depth` levels, at least at `min_seq` (a WebSocket client's last sequence; 0 for
/// REST). A shallow one is the book at the market's current sequence; a deep one may be up to
/// `DEEP_MAX_AGE` old.
pub async fn snapshot(state: &AppState, symbol: &Symbol, depth: u32, min_seq: u64) -> Result<Arc<Taken>, ApiError> {
    let tier = tier(depth);
    let epoch = state.feed.epoch();
    if let Some(lock) = state.book_cache.deep_read_lock(symbol, tier) {
        if let Some(taken) = state.book_cache.get(symbol, tier, None, min_seq, epoch) {
            return Ok(taken);
        }
        // One request takes the deep snapshot; the others wait for it and are served the same.
        let _taking = lock.lock().await;
        if let Some(taken) = state.book_cache.get(symbol, tier, None, min_seq, epoch) {
            return Ok(taken);
        }
        // An older one is still good while the book has not moved.
        let seq = state.engine.sequence(symbol).await?;
        if let Some(taken) = state.book_cache.get(symbol, tier, Some(seq), min_seq, epoch) {
            return Ok(taken);
        }
        return take(state, symbol, tier, epoch).await;
    }
    // A shallow snapshot taken at the market's current sequence is still exact: served without the script.
    let seq = state.engine.sequence(symbol).await?;
    if let Some(taken) = state.book_cache.get(symbol, tier, Some(seq), min_seq, epoch) {
        return Ok(taken);
    }
    take(state, symbol, tier, epoch).await
}

async fn take(state: &AppState, symbol: &Symbol, tier: u32, epoch: u64) -> Result<Arc<Taken>, ApiError> {
    let book = state.engine.book(symbol, tier).await?;
    let taken = Arc::new(Taken::new(book, epoch).map_err(|e| ApiError::Internal(e.to_string()))?);
    state.book_cache.put(symbol, tier, taken.clone());
    Ok(taken)
}
