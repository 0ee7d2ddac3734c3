//! Who is asking: the peer's address, or the address a trusted proxy says it forwarded for.
//! `X-Forwarded-For` is believed only from proxies named in `COLOPHON_TRUSTED_PROXIES`;
//! anyone else could write any address there and step around a rate limit.

use std::net::IpAddr;

/// An address or a network in CIDR notation (`10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(raw: &str) -> Result<IpNet, String> {
        let raw = raw.trim();
        let (addr, prefix) = match raw.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| format!("`{raw}` is not an IP address or network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => return Err(format!("`{raw}`: the prefix length must be 0 to {max}")),
            },
        };
        Ok(IpNet { addr, prefix })
    }

    /// This host: a proxy here is believed without being named.
    pub fn loopback() -> [IpNet; 2] {
        [
            IpNet { addr: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), prefix: 8 },
            IpNet { addr: IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), prefix: 128 },
        ]
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 peer on a dual-stack socket arrives as `::ffff:a.b.c.d`; it is the IPv4 client.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client of a request: `peer` unless it is a trusted proxy, in which case the nearest
/// address in `X-Forwarded-For` that is not itself a trusted proxy. Each hop appends the
/// address it received from, so the list is read from the right; an entry that does not
/// parse ends the walk at the last address known to be true.
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpNet]) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    let hops = forwarded_for.iter().rev().flat_map(|h| h.rsplit(',')).map(str::trim);
    for hop in hops {
        let Ok(ip) = hop.parse::<IpAddr>().map(canonical) else { break };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks() {
        let net = IpNet::parse("10.1.0.0/16").unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(IpNet::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(IpNet::parse("127.0.0.1").unwrap().contains(ip("::ffff:127.0.0.1")));
        assert!(IpNet::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(!IpNet::parse("fd00::/8").unwrap().contains(ip("10.0.0.1")));
        for bad in ["", "10.0.0.0/33", "::/129", "localhost", "10.0.0.0/x"] {
            assert!(IpNet::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = [IpNet::parse("10.0.0.0/8").unwrap()];
        // An untrusted peer's header is ignored: it could say anything.
        assert_eq!(client_ip(ip("203.0.113.9"), &["1.2.3.4"], &trusted), ip("203.0.113.9"));
        // Through one trusted proxy: the address it received from.
        assert_eq!(client_ip(ip("10.0.0.2"), &["198.51.100.7"], &trusted), ip("198.51.100.7"));
        // A client that wrote its own header first cannot choose its address: the rightmost
        // untrusted hop is the one the proxy saw.
        assert_eq!(client_ip(ip("10.0.0.2"), &["6.6.6.6, 198.51.100.7"], &trusted), ip("198.51.100.7"));
        // Two proxies, in two header lines.
        assert_eq!(client_ip(ip("10.0.0.2"), &["198.51.100.7", "10.0.0.3"], &trusted), ip("198.51.100.7"));
        // Garbage stops the walk at the last true address.
        assert_eq!(client_ip(ip("10.0.0.2"), &["198.51.100.7, nonsense"], &trusted), ip("10.0.0.2"));
        // No header: the proxy itself.
        assert_eq!(client_ip(ip("10.0.0.2"), &[], &trusted), ip("10.0.0.2"));
        // Nothing trusted: the peer, always.
        assert_eq!(client_ip(ip("10.0.0.2"), &["1.2.3.4"], &[]), ip("10.0.0.2"));
        // A proxy on this host, in the list every server starts with.
        let local = IpNet::loopback();
        assert_eq!(client_ip(ip("127.0.0.1"), &["198.51.100.7"], &local), ip("198.51.100.7"));
        assert_eq!(client_ip(ip("::1"), &["198.51.100.7"], &local), ip("198.51.100.7"));
        assert_eq!(client_ip(ip("127.0.0.1"), &[], &local), ip("127.0.0.1"));
    }
}
