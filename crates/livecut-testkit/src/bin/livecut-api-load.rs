//! A load generator for livecut's API, for the throughput benchmark in BENCHMARKS.md: `N`
//! connections each send V3-signed calls (a fresh nonce and signature per call, as the SDK
//! does) back to back for a while; prints one JSON line with calls per second and latency
//! percentiles. `{n}` in a parameter value is replaced by a counter (distinct MediaURLs for
//! Submit).
//!
//! `livecut-api-load --endpoint 127.0.0.1:8080 --key-id K --secret-env VAR \
//!    --action GetLiveEditingJob --param JobId=... --connections 32 --seconds 10`

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "Calls livecut's API as fast as it answers and reports throughput and latency")]
struct Args {
    #[arg(long)]
    endpoint: String,
    #[arg(long)]
    key_id: String,
    /// Environment variable holding the access key secret (kept off the command line).
    #[arg(long)]
    secret_env: String,
    #[arg(long)]
    action: String,
    /// NAME=VALUE, repeated; `{n}` in a value becomes a counter.
    #[arg(long = "param")]
    params: Vec<String>,
    #[arg(long, default_value_t = 32)]
    connections: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let Ok(secret) = std::env::var(&args.secret_env) else {
        eprintln!("{} is not set", args.secret_env);
        return ExitCode::FAILURE;
    };
    let mut params = Vec::new();
    for p in &args.params {
        let Some((k, v)) = p.split_once('=') else {
            eprintln!("--param {p:?} is not NAME=VALUE");
            return ExitCode::FAILURE;
        };
        params.push((k.to_string(), v.to_string()));
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let shared = Arc::new((args, secret, params, AtomicU64::new(0)));
    let until = Instant::now() + Duration::from_secs(shared.0.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..shared.0.connections {
        let shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            let (args, secret, params, counter) = &*shared;
            // One client per task: one keep-alive connection each.
            let client = reqwest::Client::builder()
                .no_proxy()
                .pool_max_idle_per_host(1)
                .build()
                .expect("a client");
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < until {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let form: Vec<(String, String)> = params
                    .iter()
                    .map(|(k, v)| (k.clone(), v.replace("{n}", &n.to_string())))
                    .collect();
                let signed = livecut_auth::sign_v3(
                    &livecut_auth::OutgoingRequest {
                        method: "POST",
                        host: &args.endpoint,
                        path: "/",
                        action: &args.action,
                        version: "2020-11-09",
                        params: &[],
                        form: &form,
                        extra_headers: &[],
                    },
                    &livecut_auth::Credentials {
                        access_key_id: &args.key_id,
                        access_key_secret: secret,
                        security_token: None,
                    },
                    time::OffsetDateTime::now_utc(),
                    &format!("load-{n}-{}", std::process::id()),
                );
                let mut request = client
                    .post(format!("http://{}/?{}", args.endpoint, signed.query))
                    .body(signed.body);
                for (k, v) in &signed.headers {
                    if k != "host" {
                        request = request.header(k, v);
                    }
                }
                let sent = Instant::now();
                match request.send().await {
                    Ok(resp) if resp.status().is_success() => {
                        let _ = resp.bytes().await;
                        latencies.push(sent.elapsed());
                    }
                    Ok(resp) => {
                        errors += 1;
                        if errors == 1 {
                            let body = resp.text().await.unwrap_or_default();
                            eprintln!("first error: {body}");
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        if errors == 1 {
                            eprintln!("first error: {e}");
                        }
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            latencies.extend(l);
            errors += e;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| -> f64 {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{}",
        serde_json::json!({
            "action": shared.0.action,
            "connections": shared.0.connections,
            "ok": latencies.len(),
            "errors": errors,
            "seconds": (elapsed * 100.0).round() / 100.0,
            "per_second": (latencies.len() as f64 / elapsed).round(),
            "p50_ms": (pct(0.50) * 100.0).round() / 100.0,
            "p99_ms": (pct(0.99) * 100.0).round() / 100.0,
        })
    );
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
