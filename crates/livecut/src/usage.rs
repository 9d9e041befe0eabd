//! `livecut usage`: what each account used over a range of UTC days (by default the current
//! month so far), as IMS bills live editing: output minutes per mode, jobs, bytes written, and
//! what the account stores now.

use time::{Date, OffsetDateTime};

use crate::clock::now_ms;
use crate::db::usage::{self, ModeUsage, Stored};
use crate::db::{Db, DbError};

#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("{flag} {value:?} is not a date: use YYYY-MM-DD (UTC)")]
    BadDate { flag: &'static str, value: String },
    #[error("--from {from} is after --to {to}")]
    Backwards { from: Date, to: Date },
    #[error(transparent)]
    Db(#[from] DbError),
}

const DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// Julian day number of 1970-01-01, the day the stored day numbers count from.
const EPOCH_JULIAN_DAY: i64 = 2_440_588;

fn day_number(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - EPOCH_JULIAN_DAY
}

fn parse(flag: &'static str, value: Option<&str>, default: Date) -> Result<Date, UsageError> {
    match value {
        None => Ok(default),
        Some(v) => Date::parse(v, DATE).map_err(|_| UsageError::BadDate {
            flag,
            value: v.chars().take(40).collect(),
        }),
    }
}

/// The usage report of `account` (or every account) from `from` to `to` (inclusive).
pub async fn run(
    db: &Db,
    account: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    json: bool,
) -> Result<(), UsageError> {
    let today = OffsetDateTime::from_unix_timestamp(now_ms() / 1000)
        .map_or(OffsetDateTime::UNIX_EPOCH, |t| t)
        .date();
    let month_start = today.replace_day(1).unwrap_or(today);
    let from = parse("--from", from, month_start)?;
    let to = parse("--to", to, today)?;
    if from > to {
        return Err(UsageError::Backwards { from, to });
    }
    let used = usage::by_mode(db, account, (day_number(from), day_number(to))).await?;
    let stored = usage::stored(db, account).await?;
    let mut accounts: Vec<&str> = used
        .iter()
        .map(|u| u.account.as_str())
        .chain(stored.iter().map(|s| s.account.as_str()))
        .collect();
    accounts.sort_unstable();
    accounts.dedup();
    let (from, to) = (format_date(from), format_date(to));
    for name in accounts {
        let modes: Vec<&ModeUsage> = used.iter().filter(|u| u.account == name).collect();
        let now = stored.iter().find(|s| s.account == name);
        if json {
            println!("{}", json_line(name, (&from, &to), &modes, now));
        } else {
            print_text(name, (&from, &to), &modes, now);
        }
    }
    Ok(())
}

fn format_date(d: Date) -> String {
    d.format(DATE).unwrap_or_default()
}

/// Jobs stored before modes were a column have none.
fn mode_name(mode: &str) -> &str {
    if mode.is_empty() { "unknown" } else { mode }
}

fn json_line(
    account: &str,
    (from, to): (&str, &str),
    modes: &[&ModeUsage],
    stored: Option<&Stored>,
) -> serde_json::Value {
    let modes: Vec<_> = modes
        .iter()
        .map(|u| {
            serde_json::json!({
                "Mode": mode_name(&u.mode),
                "JobsSucceeded": u.jobs_succeeded,
                "JobsFailed": u.jobs_failed,
                "OutputSeconds": u.output_ms as f64 / 1000.0,
                "OutputBytes": u.output_bytes,
            })
        })
        .collect();
    serde_json::json!({
        "Account": account,
        "From": from,
        "To": to,
        "Modes": modes,
        "StoredAssets": stored.map_or(0, |s| s.assets),
        "StoredBytes": stored.map_or(0, |s| s.bytes),
    })
}

fn print_text(
    account: &str,
    (from, to): (&str, &str),
    modes: &[&ModeUsage],
    stored: Option<&Stored>,
) {
    println!("Account {account}, {from} to {to} (UTC):");
    for u in modes {
        println!(
            "  {:<13} {:>6} jobs succeeded {:>5} failed {:>12.2} output minutes {:>15} bytes written",
            mode_name(&u.mode),
            u.jobs_succeeded,
            u.jobs_failed,
            u.output_ms as f64 / 60_000.0,
            u.output_bytes
        );
    }
    if modes.is_empty() {
        println!("  no job ended in this range");
    }
    let (assets, bytes) = stored.map_or((0, 0), |s| (s.assets, s.bytes));
    println!("  stored now: {assets} media assets, {bytes} bytes");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_counted_from_the_epoch() {
        let d = |s: &str| Date::parse(s, DATE).unwrap();
        assert_eq!(day_number(d("1970-01-01")), 0);
        assert_eq!(
            day_number(d("2026-12-08")),
            usage::day_of(1_796_688_000_000)
        );
        assert!(parse("--from", Some("2026-13-01"), d("2026-01-01")).is_err());
    }
}
