//! Completion callbacks, delivered as IMS delivers them: the `ProduceMediaComplete` event of a
//! job that ended, POSTed as JSON to the job's `UserData.NotifyAddress` or else to the address
//! SetEventCallback configured, signed with `X-ICE-TIMESTAMP` / `X-ICE-SIGNATURE` when its
//! AuthSwitch is on.
//!
//! The events wait in the database (`db::callbacks`, written when the job ends), so they are
//! delivered at least once whatever restarts: every `serve` and `worker` process runs
//! [`run`], which claims due events, sends each through reqwest (rustls, no proxy, no
//! redirects, every address checked by `destination`), and retries a failure with exponential
//! backoff until the retry time (24 h by default) has passed.

pub mod destination;
pub mod event;
pub mod sign;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::clock::now_ms;
use crate::db::callbacks::{self, Attempt, Claimed, state};
use crate::db::{Db, jobs};
use destination::{Destinations, GuardedResolver};

/// How the outbox is worked.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// First retry after this; each later one waits twice as long ...
    pub first_backoff: Duration,
    /// ... up to this.
    pub max_backoff: Duration,
    /// An event not delivered this long after its job ended is given up.
    pub retry_for: Duration,
    /// One attempt's time limit (connect, send, answer).
    pub attempt_timeout: Duration,
    /// Deliveries in flight at once per process.
    pub parallel: usize,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(600),
            retry_for: Duration::from_secs(24 * 3600),
            attempt_timeout: Duration::from_secs(10),
            parallel: 16,
        }
    }
}

impl Delivery {
    /// When attempt `attempts` (1-based) failed at `now_ms`, the next one's time.
    pub fn next_attempt(&self, attempts: i64, now_ms: i64) -> i64 {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let wait = self
            .first_backoff
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(self.max_backoff);
        now_ms + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 4)
    }
}

/// Wakes this process's outbox loop (a job just ended here: its event need not wait for the
/// next tick).
pub fn wake() {
    wake_signal().notify_one();
}

fn wake_signal() -> &'static Notify {
    static WAKE: std::sync::OnceLock<Notify> = std::sync::OnceLock::new();
    WAKE.get_or_init(Notify::new)
}

/// The HTTP client of callbacks: rustls, no proxy (a proxy would reach what the policy
/// refuses), no redirects (a redirect could point anywhere), names resolved through the policy.
pub fn http_client(
    policy: Arc<Destinations>,
    timeout: Duration,
) -> Result<reqwest::Client, reqwest::Error> {
    crate::storage::install_crypto_provider();
    reqwest::Client::builder()
        .tls_backend_rustls()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(GuardedResolver(policy)))
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .timeout(timeout)
        .user_agent(concat!("livecut/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Works the outbox until the process ends: due events are claimed and delivered; `wake` (a job
/// just ended here) or a one-second tick starts the next round.
pub async fn run(db: Db, policy: Arc<Destinations>, settings: Delivery) {
    let client = match http_client(policy.clone(), settings.attempt_timeout) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the callback HTTP client cannot be built; no callbacks are sent");
            return;
        }
    };
    let lease_ms = i64::try_from(settings.attempt_timeout.as_millis() * 3).unwrap_or(60_000);
    let mut flying: JoinSet<()> = JoinSet::new();
    loop {
        while flying.try_join_next().is_some() {}
        let room = settings.parallel.saturating_sub(flying.len());
        if room > 0 {
            match callbacks::claim_due(&db, now_ms(), lease_ms, room as i64).await {
                Ok(claimed) => {
                    for c in claimed {
                        let (db, client, policy, settings) =
                            (db.clone(), client.clone(), policy.clone(), settings.clone());
                        flying.spawn(async move {
                            deliver(&db, &client, &policy, &settings, c).await;
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "reading the callback outbox failed"),
            }
        }
        tokio::select! {
            () = wake_signal().notified() => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            Some(_) = flying.join_next(), if !flying.is_empty() => {}
        }
    }
}

/// One attempt at one event, and its result recorded.
async fn deliver(
    db: &Db,
    client: &reqwest::Client,
    policy: &Destinations,
    settings: &Delivery,
    c: Claimed,
) {
    let outcome = attempt(db, client, policy, &c).await;
    let now = now_ms();
    let result = match &outcome {
        Sent::Delivered { address } => {
            tracing::info!(job_id = %c.job_id, attempt = c.attempts, "callback delivered");
            crate::metrics::callback("delivered");
            Attempt::Delivered { address }
        }
        Sent::Nowhere => Attempt::Final {
            state: state::NO_ADDRESS,
            address: "",
            error: "",
        },
        Sent::Refused { address, error } => {
            tracing::warn!(job_id = %c.job_id, %error, "callback not sent: its address is not allowed");
            crate::metrics::callback("refused");
            Attempt::Final {
                state: state::FAILED,
                address,
                error,
            }
        }
        Sent::Failed { address, error } => {
            let give_up_at = c.created_at
                + i64::try_from(settings.retry_for.as_millis()).unwrap_or(i64::MAX / 4);
            let next_at = settings.next_attempt(c.attempts, now);
            if next_at > give_up_at {
                tracing::warn!(job_id = %c.job_id, attempts = c.attempts, %error, "callback given up");
                crate::metrics::callback("failed");
                Attempt::Final {
                    state: state::FAILED,
                    address,
                    error,
                }
            } else {
                tracing::info!(job_id = %c.job_id, attempt = c.attempts, %error, "callback failed; retrying");
                crate::metrics::callback("retried");
                Attempt::Retry {
                    address,
                    error,
                    next_at,
                }
            }
        }
    };
    if let Err(e) = callbacks::record(db, &c.id, result, now).await {
        // The lease runs out and the event is tried again: at least once, never lost.
        tracing::warn!(job_id = %c.job_id, error = %e, "recording a callback attempt failed");
    }
}

enum Sent {
    Delivered {
        address: String,
    },
    /// The job has no NotifyAddress and no event callback wants the event.
    Nowhere,
    Refused {
        address: String,
        error: String,
    },
    Failed {
        address: String,
        error: String,
    },
}

async fn attempt(db: &Db, client: &reqwest::Client, policy: &Destinations, c: &Claimed) -> Sent {
    let failed = |address: &str, error: String| Sent::Failed {
        address: address.to_string(),
        error,
    };
    let job = match jobs::get(db, &c.job_id).await {
        Ok(Some(job)) => job,
        Ok(None) => return Sent::Nowhere,
        Err(e) => return failed("", format!("reading the job failed: {e}")),
    };
    let configured = match callbacks::event_callback(db, &job.account).await {
        Ok(c) => c,
        Err(e) => return failed("", format!("reading the event callback failed: {e}")),
    };
    let request = serde_json::from_str::<crate::job::request::JobRequest>(&job.request).ok();
    let notify = request.as_ref().and_then(|r| r.notify_address.clone());
    let wanted = configured.as_ref().filter(|cb| cb.wants(&c.event_type));
    let Some(address) = notify.or_else(|| wanted.map(|cb| cb.callback_url.clone())) else {
        return Sent::Nowhere;
    };
    let url = match event::checked_url(&address, policy) {
        Ok(url) => url,
        Err(e) => {
            return Sent::Refused {
                address,
                error: e.to_string(),
            };
        }
    };
    let user_data = request.map(|r| r.user_data).unwrap_or_default();
    let body = event::body(&job, &user_data).to_string();
    let mut post = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body);
    if let Some(key) = configured.as_ref().and_then(|cb| cb.signing_key()) {
        let timestamp = now_ms() / 1000;
        post = post
            .header("X-ICE-TIMESTAMP", timestamp.to_string())
            .header("X-ICE-SIGNATURE", sign::signature(&address, timestamp, key));
    }
    match post.send().await {
        Ok(resp) if resp.status().is_success() => Sent::Delivered { address },
        Ok(resp) => failed(&address, format!("HTTP {}", resp.status().as_u16())),
        Err(e) => {
            if let Some(refusal) = refusal_in(&e) {
                return Sent::Refused {
                    address,
                    error: refusal,
                };
            }
            failed(&address, describe(&e))
        }
    }
}

/// The destination policy's refusal inside a reqwest error (from the resolver), if that is why
/// the request failed.
fn refusal_in(e: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<destination::Refusal>()
            && matches!(r, destination::Refusal::Address { .. })
        {
            return Some(r.to_string());
        }
        source = s.source();
    }
    None
}

/// A short, path-free account of a failed attempt.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let d = Delivery {
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
            ..Delivery::default()
        };
        let waits: Vec<i64> = (1..=6).map(|n| d.next_attempt(n, 0)).collect();
        assert_eq!(waits, [1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
        assert_eq!(d.next_attempt(1_000, 5), 10_005, "no overflow");
    }
}
