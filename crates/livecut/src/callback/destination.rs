//! Where the server may send a callback. A NotifyAddress is chosen by whoever submits a job, so
//! without a check the worker would POST to anything it can reach: the cloud metadata service,
//! the database, an admin port on loopback. Addresses of the classes below are refused unless
//! the operator allows them by CIDR (`[callbacks] allow_cidrs`); the check is made on every
//! address a name resolves to, at every attempt (a name can change what it points to), and on
//! IP literals before any connection. Redirects are never followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;

/// Why an address may not be called.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "address {ip} is {class}, where callbacks are not sent (allow it in [callbacks] allow_cidrs)"
    )]
    Address { ip: IpAddr, class: &'static str },
    #[error("{0} does not resolve to any address")]
    NoAddress(String),
    #[error("resolving {name} failed: {error}")]
    Resolve { name: String, error: String },
}

/// The operator's exceptions.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    allowed: Vec<IpNet>,
}

impl Destinations {
    pub fn new(allowed: Vec<IpNet>) -> Destinations {
        Destinations { allowed }
    }

    /// Ok if `ip` may be called.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refusal> {
        let Some(class) = forbidden_class(ip) else {
            return Ok(());
        };
        if self.allowed.iter().any(|net| net.contains(&ip)) {
            return Ok(());
        }
        Err(Refusal::Address { ip, class })
    }

    /// The addresses of `host` that may be called (all of them must be: a name that also points
    /// at a forbidden address is refused, so it cannot be made to alternate).
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, Refusal> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| Refusal::Resolve {
                name: host.to_string(),
                error: e.to_string(),
            })?
            .collect();
        if addrs.is_empty() {
            return Err(Refusal::NoAddress(host.to_string()));
        }
        for a in &addrs {
            self.check_ip(a.ip())?;
        }
        Ok(addrs)
    }
}

/// The class of an address callbacks are not sent to, or None for a public one.
pub fn forbidden_class(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_class(v4);
            }
            v6_class(v6)
        }
    }
}

fn v4_class(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    Some(if ip.is_loopback() {
        "loopback"
    } else if ip.is_unspecified() || o[0] == 0 {
        "unspecified (this network)"
    } else if ip.is_link_local() {
        "link-local (cloud metadata services live here)"
    } else if ip.is_private() {
        "private"
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        "shared address space (carrier-grade NAT; Alibaba Cloud's metadata service)"
    } else if ip.is_multicast() {
        "multicast"
    } else if ip.is_broadcast() || o[0] >= 240 {
        "reserved"
    } else if ip.is_documentation() || (o[0] == 198 && (o[1] & 0xfe) == 18) {
        "reserved for documentation or benchmarks"
    } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
        "reserved for protocol assignments"
    } else {
        return None;
    })
}

fn v6_class(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    Some(if ip.is_loopback() {
        "loopback"
    } else if ip.is_unspecified() {
        "unspecified"
    } else if (s[0] & 0xffc0) == 0xfe80 {
        "link-local"
    } else if (s[0] & 0xfe00) == 0xfc00 {
        "unique-local (private; AWS's metadata service is fd00:ec2::254)"
    } else if ip.is_multicast() {
        "multicast"
    } else if s[0] == 0x64 && s[1] == 0xff9b {
        // NAT64 maps IPv4 into IPv6: judge the embedded address.
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return v4_class(v4);
    } else if s[0] == 0x2001 && s[1] == 0x0db8 {
        "reserved for documentation"
    } else {
        return None;
    })
}

/// reqwest's resolver: every name is resolved through the policy, so a connection can only go
/// to an allowed address, whatever the name resolved to when the job was submitted.
pub struct GuardedResolver(pub Arc<Destinations>);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = policy.resolve(&host, 0).await?;
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn internal_addresses_are_refused_and_public_ones_allowed() {
        let none = Destinations::default();
        for (addr, class) in [
            ("127.0.0.1", "loopback"),
            ("127.8.9.10", "loopback"),
            ("::1", "loopback"),
            ("169.254.169.254", "link-local"),
            ("100.100.100.200", "shared address space"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("fd00:ec2::254", "unique-local"),
            ("fe80::1", "link-local"),
            ("224.0.0.1", "multicast"),
            ("ff02::1", "multicast"),
            ("0.0.0.0", "unspecified"),
            ("::", "unspecified"),
            ("255.255.255.255", "reserved"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "link-local"),
            ("64:ff9b::a00:1", "private"),
        ] {
            let refused = none.check_ip(ip(addr)).expect_err(addr);
            assert!(refused.to_string().contains(class), "{addr}: {refused}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(none.check_ip(ip(public)), Ok(()), "{public}");
        }
    }

    #[test]
    fn the_operator_allows_ranges_by_cidr() {
        let some = Destinations::new(vec![
            "127.0.0.0/8".parse().expect("a net"),
            "10.0.5.0/24".parse().expect("a net"),
        ]);
        assert_eq!(some.check_ip(ip("127.0.0.2")), Ok(()));
        assert_eq!(some.check_ip(ip("10.0.5.9")), Ok(()));
        assert!(some.check_ip(ip("10.0.6.9")).is_err());
        assert!(some.check_ip(ip("169.254.169.254")).is_err());
    }

    #[tokio::test]
    async fn names_are_judged_by_what_they_resolve_to() {
        let none = Destinations::default();
        let refused = none.resolve("localhost", 80).await.expect_err("loopback");
        assert!(matches!(refused, Refusal::Address { .. }), "{refused}");
        let allowed = Destinations::new(vec![
            "127.0.0.0/8".parse().expect("a net"),
            "::1/128".parse().expect("a net"),
        ]);
        let addrs = allowed.resolve("localhost", 80).await.expect("allowed");
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
