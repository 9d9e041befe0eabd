//! The test S3 server (`livecut_testkit::s3`) as a process, for benchmarks and manual runs with
//! several processes: s3s-fs with SigV4 auth on 127.0.0.1. Prints the endpoint on the first
//! line of stdout once it accepts connections, then serves until killed.
//!
//! `livecut-test-s3 --root DIR --port 9000 --access-key K --secret-key-env VAR --bucket media`

#![forbid(unsafe_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use livecut_testkit::s3::S3Server;

#[derive(Debug, Parser)]
#[command(about = "An S3-compatible test server (s3s-fs) on 127.0.0.1")]
struct Args {
    /// Data directory: one directory per bucket.
    #[arg(long)]
    root: PathBuf,
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Access key id clients sign with.
    #[arg(long)]
    access_key: String,
    /// Name of the environment variable holding the secret key (kept off the command line).
    #[arg(long)]
    secret_key_env: String,
    /// A bucket to create (repeatable); existing bucket directories under the root are served too.
    #[arg(long = "bucket")]
    buckets: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let Ok(secret) = std::env::var(&args.secret_key_env) else {
        eprintln!("livecut-test-s3: ${} is not set", args.secret_key_env);
        return ExitCode::FAILURE;
    };
    let buckets: Vec<&str> = args.buckets.iter().map(String::as_str).collect();
    let server =
        match S3Server::try_start(&args.root, &args.access_key, &secret, &buckets, args.port) {
            Ok(server) => server,
            Err(e) => {
                eprintln!(
                    "livecut-test-s3: cannot start on {}: {e}",
                    args.root.display()
                );
                return ExitCode::FAILURE;
            }
        };
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "{}", server.endpoint())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    loop {
        std::thread::park();
    }
}
