//! The client's address, for the audit trail and the sign-in throttle. It is the address
//! the connection came from, unless that is a proxy the operator named
//! (`CRIBS_TRUSTED_PROXIES`): then it is the last address in `X-Forwarded-For` that is not
//! one of those proxies (each proxy appends the address it saw, so entries to the left of
//! the last untrusted one could have been written by the client). Headers from anyone else
//! are ignored: a client cannot choose the address it is throttled and audited under.

use rocket::request::{FromRequest, Outcome, Request};
use std::net::IpAddr;

/// The proxies whose forwarded addresses are believed (none unless configured).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpAddr>);

impl TrustedProxies {
    /// Parse a comma-separated list of IP addresses; the first that is not one says so.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<IpAddr>().map_err(|_| format!("CRIBS_TRUSTED_PROXIES: \"{s}\" is not an IP address")))
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|p| *p == ip || p.to_canonical() == ip.to_canonical())
    }

    /// The client's address, from the connection's peer and its `X-Forwarded-For`.
    pub fn client(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        let mut client = peer;
        for part in forwarded_for.unwrap_or_default().rsplit(',') {
            match part.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                // A malformed entry: nothing to its left can be believed.
                Err(_) => break,
            }
        }
        Some(client)
    }
}

/// The client's address as text ("unknown" without one), for the audit trail and throttling.
pub struct ClientAddr(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientAddr {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let peer = req.remote().map(|a| a.ip());
        let forwarded = req.headers().get("X-Forwarded-For").collect::<Vec<_>>().join(",");
        let ip = match req.rocket().state::<TrustedProxies>() {
            Some(trusted) => trusted.client(peer, Some(&forwarded)),
            None => peer,
        };
        Outcome::Success(ClientAddr(ip.map_or_else(|| "unknown".into(), |ip| ip.to_canonical().to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn headers_count_only_from_a_trusted_proxy() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(Some(ip("203.0.113.9")), Some("10.0.0.1")), Some(ip("203.0.113.9")));
        let proxy = TrustedProxies::parse("127.0.0.1, ::1").expect("list");
        assert_eq!(proxy.client(Some(ip("203.0.113.9")), Some("10.0.0.1")), Some(ip("203.0.113.9")), "not the proxy");
        assert_eq!(proxy.client(Some(ip("127.0.0.1")), Some("198.51.100.7")), Some(ip("198.51.100.7")));
        // The client wrote the left entry itself; the proxy appended what it saw.
        assert_eq!(proxy.client(Some(ip("127.0.0.1")), Some("1.2.3.4, 198.51.100.7")), Some(ip("198.51.100.7")));
        assert_eq!(proxy.client(Some(ip("127.0.0.1")), Some("198.51.100.7, 127.0.0.1")), Some(ip("198.51.100.7")));
        assert_eq!(proxy.client(Some(ip("127.0.0.1")), Some("")), Some(ip("127.0.0.1")), "no header: the proxy");
        assert_eq!(proxy.client(Some(ip("127.0.0.1")), Some("1.2.3.4, junk")), Some(ip("127.0.0.1")));
        assert!(TrustedProxies::parse("127.0.0.1, proxy.local").is_err());
    }
}
