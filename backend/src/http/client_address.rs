//! `ClientAddress`: who a request comes from, for the limits that count by address. The connection's
//! peer, unless the peer is a trusted proxy (`TRUSTED_PROXIES`): then the last address in
//! `X-Forwarded-For` that is not itself a trusted proxy (a client can put anything at the front of that
//! header; only what the proxies appended can be believed). And whether the client reached us over
//! HTTPS: only a trusted proxy can say so (`X-Forwarded-Proto`), the backend itself serving plain HTTP.
//! Its extractor is in `extract`.

use std::net::IpAddr;

use axum::http::HeaderMap;

use super::error::ApiError;
use super::rate_limit::RateLimiter;
use crate::config::AddressSet;

#[derive(Clone, Copy, Debug)]
pub struct ClientAddress {
    pub ip: IpAddr,
    /// In `RATE_LIMIT_EXEMPT`: the per-address limits skip it.
    pub exempt: bool,
    /// It reached a trusted proxy over HTTPS (`forwarded_https`).
    pub https: bool,
}

/// Whether a trusted proxy says the client reached it over HTTPS: the last `X-Forwarded-Proto` value
/// (the one the proxy next to us set) is `https`. A stranger's header means nothing.
pub fn forwarded_https(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &AddressSet) -> bool {
    trusted_proxies.contains(peer)
        && headers
            .get_all("x-forwarded-proto")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// The client's address, from the peer's and the forwarding header.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &AddressSet) -> IpAddr {
    if !trusted_proxies.contains(peer) {
        return peer;
    }
    let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
    let hops: Vec<&str> = forwarded.flat_map(|v| v.split(',')).map(str::trim).collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted_proxies.contains(ip) => continue,
            Ok(ip) => return ip,
            // Garbage where an address should be: the proxy before it is the last one we can name.
            Err(_) => break,
        }
    }
    peer
}

impl ClientAddress {
    /// Takes one of this client's tokens from a per-address limit, unless the address is exempt.
    pub fn take(&self, limit: &RateLimiter<IpAddr>) -> Result<(), ApiError> {
        if self.exempt {
            return Ok(());
        }
        limit.check(self.ip).inspect_err(|_| crate::metrics::METRICS.limited.with_label_values(&["per_address"]).inc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", forwarded.parse().unwrap());
        h
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy_and_only_its_trusted_end() {
        let proxies = AddressSet::parse("10.0.0.0/8").unwrap();
        let peer: IpAddr = "10.0.0.5".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        // A client-made prefix (1.2.3.4) is ignored: the proxy appended 198.51.100.7.
        assert_eq!(
            resolve(peer, &headers("1.2.3.4, 198.51.100.7, 10.0.0.3"), &proxies),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // A stranger's header means nothing.
        assert_eq!(resolve(stranger, &headers("1.2.3.4"), &proxies), stranger);
        // No header, or garbage: the proxy itself.
        assert_eq!(resolve(peer, &HeaderMap::new(), &proxies), peer);
        assert_eq!(resolve(peer, &headers("nonsense"), &proxies), peer);
    }

    #[test]
    fn only_a_trusted_proxy_says_the_client_came_over_https() {
        let proxies = AddressSet::parse("10.0.0.0/8").unwrap();
        let (peer, stranger): (IpAddr, IpAddr) = ("10.0.0.5".parse().unwrap(), "203.0.113.9".parse().unwrap());
        let proto = |value: &str| {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-proto", value.parse().unwrap());
            h
        };
        assert!(forwarded_https(peer, &proto("https"), &proxies));
        assert!(forwarded_https(peer, &proto("http, HTTPS"), &proxies), "the last hop's word counts");
        assert!(!forwarded_https(peer, &proto("https, http"), &proxies));
        assert!(!forwarded_https(peer, &HeaderMap::new(), &proxies));
        assert!(!forwarded_https(stranger, &proto("https"), &proxies));
    }
}
