//! `SetEventCallback` and `GetEventCallback`: where completion events go when a job names no
//! `UserData.NotifyAddress`, which event types, and the key that signs them (AuthSwitch on). Only
//! `CallbackType` HTTP: MNS queues need Alibaba's queue service, which this server does not
//! have, so they are refused rather than accepted and never delivered.

use serde_json::{Value, json};

use super::error::ApiError;
use super::rpc::RpcRequest;
use super::{AppState, Caller};
use crate::clock::now_ms;
use crate::db::callbacks::{self, EventCallback};

/// Most event types one setting may name.
const MAX_EVENT_TYPES: usize = 32;

pub async fn set(state: &AppState, req: &RpcRequest, caller: &Caller) -> Result<Value, ApiError> {
    let callback_type = req.param("CallbackType").unwrap_or("HTTP");
    match callback_type {
        "HTTP" => {}
        "MNS" => {
            return Err(ApiError::invalid(
                "CallbackType",
                "MNS queues are not supported by this server; use HTTP with a CallbackURL",
            ));
        }
        other => {
            return Err(ApiError::invalid(
                "CallbackType",
                &format!("{:?} is not HTTP or MNS", excerpt(other)),
            ));
        }
    }
    let url = req
        .param("CallbackURL")
        .ok_or_else(|| ApiError::missing("CallbackURL"))?;
    if url.len() > 1024 {
        return Err(ApiError::invalid(
            "CallbackURL",
            "it is longer than 1024 bytes",
        ));
    }
    crate::callback::event::checked_url(url, &state.destinations)
        .map_err(|e| ApiError::invalid("CallbackURL", &e.to_string()))?;
    let event_types = event_types(req.param("EventTypeList").unwrap_or(""))?;
    let auth_switch = req.param("AuthSwitch").unwrap_or("off");
    if !matches!(auth_switch, "on" | "off") {
        return Err(ApiError::invalid("AuthSwitch", "it must be on or off"));
    }
    let auth_key = req.param("AuthKey").unwrap_or("");
    if auth_switch == "on" || !auth_key.is_empty() {
        check_auth_key(auth_key)?;
    }
    let setting = EventCallback {
        callback_type: callback_type.to_string(),
        callback_url: url.to_string(),
        event_types,
        auth_switch: auth_switch.to_string(),
        auth_key: auth_key.to_string(),
    };
    callbacks::set_event_callback(&state.db, &caller.account, &setting, now_ms())
        .await
        .map_err(|e| ApiError::internal("storing the event callback", &e))?;
    Ok(json!({ "Success": true }))
}

pub async fn get(state: &AppState, _req: &RpcRequest, caller: &Caller) -> Result<Value, ApiError> {
    let setting = callbacks::event_callback(&state.db, &caller.account)
        .await
        .map_err(|e| ApiError::internal("reading the event callback", &e))?;
    Ok(match setting {
        Some(s) => json!({
            "CallbackType": s.callback_type,
            "CallbackURL": s.callback_url,
            "EventTypeList": s.event_types,
            "AuthSwitch": s.auth_switch,
            "AuthKey": s.auth_key,
            "CallbackQueueName": "",
        }),
        None => json!({
            "CallbackType": "HTTP",
            "CallbackURL": "",
            "EventTypeList": "",
            "AuthSwitch": "off",
            "AuthKey": "",
            "CallbackQueueName": "",
        }),
    })
}

/// The comma-separated list, each type a word of letters and digits.
fn event_types(list: &str) -> Result<String, ApiError> {
    let types: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if types.len() > MAX_EVENT_TYPES {
        return Err(ApiError::invalid(
            "EventTypeList",
            &format!("it names more than {MAX_EVENT_TYPES} event types"),
        ));
    }
    if let Some(bad) = types
        .iter()
        .find(|t| t.len() > 64 || !t.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(ApiError::invalid(
            "EventTypeList",
            &format!("{:?} is not an event type name", excerpt(bad)),
        ));
    }
    Ok(types.join(","))
}

/// IMS's rule for the key: 8-32 characters with upper- and lower-case letters and digits.
fn check_auth_key(key: &str) -> Result<(), ApiError> {
    let ok = (8..=32).contains(&key.chars().count())
        && key.chars().all(|c| c.is_ascii_alphanumeric())
        && key.chars().any(|c| c.is_ascii_uppercase())
        && key.chars().any(|c| c.is_ascii_lowercase())
        && key.chars().any(|c| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "AuthKey",
            "it must be 8-32 letters and digits with upper-case and lower-case letters and a digit",
        ))
    }
}

fn excerpt(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_words() {
        assert_eq!(event_types("").unwrap(), "");
        assert_eq!(
            event_types(" ProduceMediaComplete , TranscodeComplete").unwrap(),
            "ProduceMediaComplete,TranscodeComplete"
        );
        assert!(event_types("Produce Media").is_err());
        assert!(event_types(&vec!["A"; 33].join(",")).is_err());
    }

    #[test]
    fn auth_keys_follow_the_ims_rule() {
        assert!(check_auth_key("Test1234").is_ok());
        for bad in [
            "Test123",
            "test12345",
            "TEST12345",
            "TestTestTest",
            "Test 1234",
            &"Aa1".repeat(11),
        ] {
            let e = check_auth_key(bad).expect_err(bad);
            assert!(e.message.contains("AuthKey"), "{}", e.message);
        }
    }
}
