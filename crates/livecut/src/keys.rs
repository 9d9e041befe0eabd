//! Making access keys: an id that looks like Alibaba's (`LTAI…`) and a random secret.

use rand::Rng;
use rand::distr::Alphanumeric;

use crate::clock::now_ms;
use crate::db::keys::{self, AccessKey};
use crate::db::{Db, DbError};

/// The RAM actions a key may be granted.
pub const KNOWN_ACTIONS: [&str; 4] = [
    "ice:*",
    "ice:SubmitLiveEditingJob",
    "ice:GetLiveEditingJob",
    "ice:GetMediaInfo",
];

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("unknown action {0:?}; known actions: {known}", known = KNOWN_ACTIONS.join(", "))]
    UnknownAction(String),
    #[error("no action given; use for example --actions 'ice:*'")]
    NoAction,
    #[error(transparent)]
    Db(#[from] DbError),
}

pub fn parse_actions(raw: &str) -> Result<Vec<String>, KeyError> {
    let actions: Vec<String> = raw
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(String::from)
        .collect();
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

pub async fn create(db: &Db, actions: Vec<String>) -> Result<AccessKey, KeyError> {
    let key = AccessKey {
        access_key_id: format!("LTAI{}", random_alnum(20)),
        secret: random_alnum(30),
        actions,
        disabled: false,
    };
    keys::insert(db, &key, now_ms()).await?;
    Ok(key)
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
        let a = create(&db, vec!["ice:*".into()]).await.unwrap();
        let b = create(&db, vec!["ice:*".into()]).await.unwrap();
        assert_ne!(a.access_key_id, b.access_key_id);
        assert_eq!(a.access_key_id.len(), 24);
        assert_eq!(a.secret.len(), 30);
        assert_eq!(keys::find(&db, &a.access_key_id).await.unwrap(), Some(a));
    }
}
