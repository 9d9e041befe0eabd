//! The event a callback carries, and the check of a callback address (at Submit, at
//! SetEventCallback and again before each delivery).

use serde_json::json;

use super::destination::{Destinations, Refusal};
use crate::clock::{format_api_time, now_ms};
use crate::db::jobs::{JobRow, status};

/// The IMS event envelope with the `ProduceMediaComplete` body of a job that ended.
pub fn body(job: &JobRow, user_data: &str) -> serde_json::Value {
    let success = job.status == status::SUCCESS;
    json!({
        "EventType": crate::db::callbacks::PRODUCE_MEDIA_COMPLETE,
        "UserId": 0,
        "EventTime": format_api_time(job.completed_at.unwrap_or_else(now_ms)),
        "MessageBody": {
            "Status": if success { "Success" } else { "Fail" },
            "MediaURL": job.media_url,
            "MediaId": job.media_id,
            "ProjectId": job.project_id,
            "JobId": job.job_id,
            "ErrorCode": if success { "" } else { job.code.as_str() },
            "ErrorMessage": if success { "" } else { job.message.as_str() },
            "UserData": user_data,
        }
    })
}

/// Why an address is not one callbacks can go to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadAddress {
    #[error("it is not an http(s) URL with a host")]
    NotUrl,
    #[error("MNS queues (ice-callback-*) are not supported by this server; use an http(s) URL")]
    Queue,
    #[error("it carries a user name or password; put credentials in the path or use AuthKey")]
    UserInfo,
    #[error("{0}")]
    Refused(Refusal),
}

/// `address` as a URL callbacks may be sent to: http or https, a host, no userinfo, and a host
/// given as an IP literal must be an allowed address (names are checked when resolved).
pub fn checked_url(address: &str, policy: &Destinations) -> Result<url::Url, BadAddress> {
    if address.starts_with("ice-callback-") {
        return Err(BadAddress::Queue);
    }
    let url = url::Url::parse(address).map_err(|_| BadAddress::NotUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(BadAddress::NotUrl);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(BadAddress::UserInfo);
    }
    match url.host() {
        None => Err(BadAddress::NotUrl),
        Some(url::Host::Ipv4(ip)) => policy
            .check_ip(ip.into())
            .map(|()| url.clone())
            .map_err(BadAddress::Refused),
        Some(url::Host::Ipv6(ip)) => policy
            .check_ip(ip.into())
            .map(|()| url.clone())
            .map_err(BadAddress::Refused),
        Some(url::Host::Domain(_)) => Ok(url.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(status: &str) -> JobRow {
        JobRow {
            job_id: "j".into(),
            project_id: "p".into(),
            media_id: "m".into(),
            media_url: "oss://b/k.mp4".into(),
            status: status.into(),
            request: String::new(),
            code: "InvalidParameter.ResourceNotFound".into(),
            message: "Clip 0 …".into(),
            report: String::new(),
            created_at: 1,
            modified_at: 2,
            completed_at: Some(1_700_000_000_000),
            attempts: 1,
            max_attempts: 3,
            lease_owner: None,
            account: "default".into(),
            progress: String::new(),
        }
    }

    #[test]
    fn the_event_is_the_ims_envelope() {
        let v = body(&job(status::FAILED), r#"{"NotifyAddress":"x"}"#);
        assert_eq!(v["EventType"], "ProduceMediaComplete");
        assert_eq!(v["EventTime"], "2023-11-14T22:13:20Z");
        let m = &v["MessageBody"];
        assert_eq!(m["Status"], "Fail");
        assert_eq!(m["ErrorCode"], "InvalidParameter.ResourceNotFound");
        assert_eq!(m["UserData"], r#"{"NotifyAddress":"x"}"#);
        let ok = body(&job(status::SUCCESS), "");
        assert_eq!(ok["MessageBody"]["Status"], "Success");
        assert_eq!(ok["MessageBody"]["ErrorCode"], "");
        assert_eq!(ok["MessageBody"]["MediaURL"], "oss://b/k.mp4");
    }

    #[test]
    fn addresses_are_checked_before_anything_is_sent() {
        let none = Destinations::default();
        assert!(checked_url("https://hooks.example.com/cb?x=1", &none).is_ok());
        assert!(checked_url("http://93.184.216.34:8080/cb", &none).is_ok());
        for (bad, why) in [
            ("ice-callback-queue", BadAddress::Queue),
            ("ftp://example.com/cb", BadAddress::NotUrl),
            ("http://user:pw@example.com/cb", BadAddress::UserInfo),
            ("http://user@example.com/cb", BadAddress::UserInfo),
            ("not a url", BadAddress::NotUrl),
        ] {
            assert_eq!(checked_url(bad, &none), Err(why), "{bad}");
        }
        for internal in [
            "http://127.0.0.1:9000/cb",
            "http://[::1]/cb",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.7/cb",
            "http://[::ffff:7f00:1]/cb",
            "http://2130706433/cb",
            "http://0x7f.1/cb",
        ] {
            assert!(
                matches!(checked_url(internal, &none), Err(BadAddress::Refused(_))),
                "{internal}"
            );
        }
        let loopback = Destinations::new(vec!["127.0.0.0/8".parse().expect("a net")]);
        assert!(checked_url("http://127.0.0.1:9000/cb", &loopback).is_ok());
    }
}
