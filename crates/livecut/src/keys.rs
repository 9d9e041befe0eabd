//! Making access keys: an id that looks like Alibaba's (`LTAI…`) and a random secret.

use rand::Rng;
use rand::distr::Alphanumeric;

use crate::clock::now_ms;
use crate::db::keys::{self, AccessKey, Resources};
use crate::db::{Db, DbError};

/// The RAM actions a key may be granted.
pub const KNOWN_ACTIONS: [&str; 15] = [
    "ice:*",
    "ice:SubmitLiveEditingJob",
    "ice:GetLiveEditingJob",
    "ice:GetMediaInfo",
    "ice:GetLiveEditingIndexFile",
    "ice:SetEventCallback",
    "ice:GetEventCallback",
    "ice:CreateEditingProject",
    "ice:GetEditingProject",
    "ice:UpdateEditingProject",
    "ice:ListEditingProjects",
    "ice:DeleteEditingProjects",
    "ice:ListMediaBasicInfos",
    "ice:DeleteMediaInfos",
    "ice:UpdateMediaInfo",
];

pub use crate::db::keys::DEFAULT_ACCOUNT;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("unknown action {0:?}; known actions: {known}", known = KNOWN_ACTIONS.join(", "))]
    UnknownAction(String),
    #[error("no action given; use for example --actions 'ice:*'")]
    NoAction,
    #[error("account {0:?} is not a name: use 1-64 letters, digits, '-' and '_'")]
    BadAccount(String),
    #[error(
        "{0} {1:?}: give `*` or comma-separated names (bucket or bucket/prefix; domain or domain/app)"
    )]
    BadResource(&'static str, String),
    #[error(transparent)]
    Db(#[from] DbError),
}

pub fn parse_actions(raw: &str) -> Result<Vec<String>, KeyError> {
    let actions = keys::split_list(raw);
    if actions.is_empty() {
        return Err(KeyError::NoAction);
    }
    for a in &actions {
        if !KNOWN_ACTIONS.iter().any(|k| k.eq_ignore_ascii_case(a)) {
            return Err(KeyError::UnknownAction(a.clone()));
        }
    }
    Ok(actions)
}

fn random_alnum(n: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

pub fn check_account(name: &str) -> Result<(), KeyError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(KeyError::BadAccount(name.chars().take(80).collect()))
    }
}

/// `--buckets` / `--streams`: comma-separated patterns, `*` for all.
pub fn parse_resources(buckets: &str, streams: &str) -> Result<Resources, KeyError> {
    let list = |raw: &str, what: &'static str| -> Result<Vec<String>, KeyError> {
        let items = keys::split_list(raw);
        let bad = items.iter().find(|p| {
            p.as_str() != "*"
                && (p.split('/').next().is_none_or(str::is_empty)
                    || p.chars().any(|c| c.is_control() || c == '*' || c == ','))
        });
        match (items.is_empty(), bad) {
            (true, _) => Err(KeyError::BadResource(what, raw.into())),
            (_, Some(b)) => Err(KeyError::BadResource(what, b.clone())),
            _ => Ok(items),
        }
    };
    Ok(Resources {
        write_buckets: list(buckets, "--buckets")?,
        read_streams: list(streams, "--streams")?,
    })
}

/// A new key of `account` allowed `actions` on `resources`.
pub async fn create(
    db: &Db,
    actions: Vec<String>,
    account: &str,
    resources: Resources,
) -> Result<AccessKey, KeyError> {
    check_account(account)?;
    let key = AccessKey {
        access_key_id: format!("LTAI{}", random_alnum(20)),
        secret: random_alnum(30),
        actions,
        disabled: false,
        account: account.to_string(),
        resources,
        previous: None,
    };
    keys::insert(db, &key, now_ms()).await?;
    Ok(key)
}

/// A new secret for `access_key_id`, the old one accepted for `overlap_minutes` more; None when
/// there is no such key.
pub async fn rotate(
    db: &Db,
    access_key_id: &str,
    overlap_minutes: u32,
) -> Result<Option<String>, KeyError> {
    let secret = random_alnum(30);
    let until = now_ms() + i64::from(overlap_minutes) * 60_000;
    Ok(keys::set_secret(db, access_key_id, &secret, until)
        .await?
        .then_some(secret))
}

/// `livecut keys …`: what an operator runs, printed for a terminal or as JSON lines.
pub async fn run(db: &Db, command: crate::cli::KeysCommand) -> Result<(), String> {
    use crate::cli::KeysCommand;
    let fail = |e: KeyError| e.to_string();
    match command {
        KeysCommand::Create {
            actions,
            account,
            buckets,
            streams,
            json,
        } => {
            let resources = parse_resources(&buckets, &streams).map_err(fail)?;
            let actions = parse_actions(&actions).map_err(fail)?;
            let key = create(db, actions, &account, resources)
                .await
                .map_err(fail)?;
            print_secret(&key.access_key_id, &key.secret, json);
            if !json {
                println!("Account:         {}", key.account);
                println!("Actions:         {}", key.actions.join(","));
            }
        }
        KeysCommand::List { json } => {
            for k in keys::list(db).await.map_err(|e| e.to_string())? {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "AccessKeyId": k.access_key_id,
                            "Account": k.account,
                            "Actions": k.actions,
                            "Buckets": k.resources.write_buckets,
                            "Streams": k.resources.read_streams,
                            "Disabled": k.disabled,
                        })
                    );
                } else {
                    println!(
                        "{}  account {}  actions {}  buckets {}  streams {}{}",
                        k.access_key_id,
                        k.account,
                        k.actions.join(","),
                        k.resources.write_buckets.join(","),
                        k.resources.read_streams.join(","),
                        if k.disabled { "  DISABLED" } else { "" }
                    );
                }
            }
        }
        KeysCommand::Disable { access_key_id } => {
            found(
                keys::set_disabled(db, &access_key_id, true).await,
                &access_key_id,
            )?;
            println!("{access_key_id} disabled: its calls are refused from now on");
        }
        KeysCommand::Enable { access_key_id } => {
            found(
                keys::set_disabled(db, &access_key_id, false).await,
                &access_key_id,
            )?;
            println!("{access_key_id} enabled");
        }
        KeysCommand::Rotate {
            access_key_id,
            overlap_minutes,
            json,
        } => {
            let secret = rotate(db, &access_key_id, overlap_minutes)
                .await
                .map_err(fail)?
                .ok_or_else(|| format!("no access key {access_key_id:?}"))?;
            print_secret(&access_key_id, &secret, json);
            if !json && overlap_minutes > 0 {
                println!("The old secret is accepted for {overlap_minutes} more minutes.");
            }
        }
        // Handled before the database is opened (main.rs).
        KeysCommand::MasterKey => println!(
            "{}",
            crate::db::seal::new_master_key().map_err(|e| e.to_string())?
        ),
    }
    Ok(())
}

fn found(r: Result<bool, DbError>, id: &str) -> Result<(), String> {
    match r {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!("no access key {id:?}")),
        Err(e) => Err(e.to_string()),
    }
}

fn print_secret(id: &str, secret: &str, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::json!({"AccessKeyId": id, "AccessKeySecret": secret})
        );
    } else {
        println!("AccessKeyId:     {id}");
        println!("AccessKeySecret: {secret}");
        println!("Store the secret as safely as a password; it is not shown again.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_checked() {
        assert_eq!(parse_actions("ice:*").unwrap(), vec!["ice:*".to_string()]);
        assert_eq!(
            parse_actions("ice:GetMediaInfo, ice:GetLiveEditingJob")
                .unwrap()
                .len(),
            2
        );
        assert!(matches!(
            parse_actions("ice:DeleteEverything"),
            Err(KeyError::UnknownAction(_))
        ));
        assert!(matches!(parse_actions(" , "), Err(KeyError::NoAction)));
    }

    #[tokio::test]
    async fn created_keys_are_stored_and_distinct() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::testing::sqlite(&dir).await;
        let a = create(
            &db,
            vec!["ice:*".into()],
            DEFAULT_ACCOUNT,
            Resources::default(),
        )
        .await
        .unwrap();
        let limited = parse_resources("out-b,shared/b/", "live.example.com/shop").unwrap();
        let b = create(&db, vec!["ice:*".into()], "shop-b", limited.clone())
            .await
            .unwrap();
        assert_eq!(
            keys::find(&db, &b.access_key_id)
                .await
                .unwrap()
                .map(|k| k.resources),
            Some(limited)
        );
        assert!(parse_resources("", "*").is_err());
        assert!(parse_resources("*", "/app").is_err());
        assert_ne!(a.access_key_id, b.access_key_id);
        assert_eq!(a.access_key_id.len(), 24);
        assert_eq!(a.secret.len(), 30);
        assert_eq!(keys::find(&db, &a.access_key_id).await.unwrap(), Some(a));
        assert_eq!(
            keys::find(&db, &b.access_key_id)
                .await
                .unwrap()
                .map(|k| k.account),
            Some("shop-b".to_string())
        );
    }

    #[test]
    fn account_names_are_plain_words() {
        assert!(check_account("shop-a_1").is_ok());
        for bad in ["", "a b", "../x", "x/y", &"a".repeat(65), "é"] {
            assert!(check_account(bad).is_err(), "{bad:?}");
        }
    }
}
