//! Sets of client addresses, as the operator writes them: addresses and CIDR ranges, comma-separated
//! (`RATE_LIMIT_EXEMPT`, `TRUSTED_PROXIES`).

use std::net::IpAddr;

/// Addresses and ranges; an IPv4 address given as IPv6 (`::ffff:a.b.c.d`) is matched as IPv4.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressSet(Vec<(IpAddr, u8)>);

impl AddressSet {
    /// `10.0.0.0/8, 127.0.0.1, ::1`: every entry an address, or an address and a prefix length.
    pub fn parse(text: &str) -> Result<AddressSet, String> {
        let mut ranges = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (address, prefix) = match entry.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (entry, None),
            };
            let address: IpAddr = address.parse().map_err(|_| format!("`{entry}` is not an address or a range"))?;
            let address = canonical(address);
            let max = if address.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => max,
                Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or(format!("`{entry}`: a bad prefix"))?,
            };
            ranges.push((address, prefix));
        }
        Ok(AddressSet(ranges))
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|&(net, prefix)| match (net, address) {
            (IpAddr::V4(n), IpAddr::V4(a)) => same_prefix(&n.octets(), &a.octets(), prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => same_prefix(&n.octets(), &a.octets(), prefix),
            _ => false,
        })
    }
}

fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether two addresses share their first `prefix` bits.
fn same_prefix(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let (whole, rest) = (usize::from(prefix / 8), prefix % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || (a[whole] ^ b[whole]) >> (8 - rest) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_ranges_match_what_they_cover() {
        let set = AddressSet::parse(" 10.0.0.0/8, 127.0.0.1 ,::1, 192.168.1.128/25").unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        for inside in ["10.1.2.3", "127.0.0.1", "::1", "::ffff:127.0.0.1", "192.168.1.200"] {
            assert!(set.contains(ip(inside)), "{inside}");
        }
        for outside in ["11.0.0.1", "127.0.0.2", "::2", "192.168.1.127"] {
            assert!(!set.contains(ip(outside)), "{outside}");
        }
        assert_eq!(AddressSet::parse("").unwrap(), AddressSet::default());
        for bad in ["10.0.0.0/33", "host", "1.2.3.4/x"] {
            assert!(AddressSet::parse(bad).is_err(), "{bad}");
        }
    }
}
