//! Secrets at rest: with a master key in the environment, every secret the database holds (access
//! key secrets, callback AuthKeys, the service's own signing keys) is stored sealed with
//! AES-256-GCM; without one, in clear (the database file is owner-only either way).
//!
//! Why a master key and not hashes: HMAC signatures (V1, V3) and callback signatures need the
//! secret itself, so the service must be able to read it back; the master key lives outside the
//! database (environment or a file the operator protects), so a copied database file or backup
//! alone gives nothing away.
//!
//! A sealed value is `lcsealed:v1:<base64url(key id ‖ nonce ‖ ciphertext ‖ tag)>`. The key id (4
//! bytes of SHA-256 of the master key) tells which master key sealed it, so a wrong key is named
//! as such instead of failing as corrupt data. The associated data binds each value to its row
//! (for example `access_keys.secret/LTAI…`): a sealed value copied into another row does not open.
//!
//! Rolling the master key: give the processes the new key as `LIVECUT_MASTER_KEY` and the old one
//! as `LIVECUT_MASTER_KEY_PREVIOUS`; opening the database reseals everything under the new key
//! (`Db::open_with`), after which the previous key can be dropped.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

/// The settings the master keys come from (`settings::StoreSettings`), as errors name them.
const MASTER_KEY_ENV: &str = "LIVECUT_MASTER_KEY";
const MASTER_KEY_FILE_ENV: &str = "LIVECUT_MASTER_KEY_FILE";
const PREVIOUS_KEY_ENV: &str = "LIVECUT_MASTER_KEY_PREVIOUS";

const PREFIX: &str = "lcsealed:v1:";
const KEY_ID_LEN: usize = 4;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error(
        "{0} must be 32 random bytes written as 64 hex digits or as base64 (make one with \
         `livecut keys master-key`)"
    )]
    BadMasterKey(&'static str),
    #[error("cannot read the master key file named by {MASTER_KEY_FILE_ENV}: {0}")]
    KeyFile(String),
    #[error(
        "{what} is sealed with a master key and no master key is set: set {MASTER_KEY_ENV} (or \
         {MASTER_KEY_FILE_ENV})"
    )]
    NoMasterKey { what: String },
    #[error(
        "{what} is sealed with master key {found}, which is neither {MASTER_KEY_ENV} ({current}) \
         nor {PREVIOUS_KEY_ENV}"
    )]
    WrongMasterKey {
        what: String,
        found: String,
        current: String,
    },
    #[error("{what} is sealed but does not open (damaged, or moved from another row)")]
    Damaged { what: String },
    #[error("the operating system's random number generator failed")]
    Random,
}

struct MasterKey {
    id: [u8; KEY_ID_LEN],
    key: LessSafeKey,
}

impl MasterKey {
    fn parse(raw: &str, name: &'static str) -> Result<MasterKey, SealError> {
        let raw = raw.trim();
        let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(raw).ok()
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(raw)
                .or_else(|_| URL_SAFE_NO_PAD.decode(raw))
                .ok()
        };
        let bytes = bytes
            .filter(|b| b.len() == 32)
            .ok_or(SealError::BadMasterKey(name))?;
        let digest = Sha256::digest(&bytes);
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        let key =
            UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| SealError::BadMasterKey(name))?;
        Ok(MasterKey {
            id,
            key: LessSafeKey::new(key),
        })
    }

    fn id_hex(&self) -> String {
        hex::encode(self.id)
    }
}

/// Seals and opens the database's secrets (see the module documentation).
#[derive(Default)]
pub struct Sealer {
    current: Option<MasterKey>,
    previous: Option<MasterKey>,
}

impl std::fmt::Debug for Sealer {
    // Never the key bytes: only which keys are set.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("current", &self.current.as_ref().map(MasterKey::id_hex))
            .field("previous", &self.previous.as_ref().map(MasterKey::id_hex))
            .finish()
    }
}

impl Sealer {
    /// Secrets stored in clear.
    pub fn clear() -> Sealer {
        Sealer::default()
    }

    /// From the keys as written (hex or base64); `current` None means no encryption.
    pub fn new(current: Option<&str>, previous: Option<&str>) -> Result<Sealer, SealError> {
        Ok(Sealer {
            current: current
                .map(|k| MasterKey::parse(k, MASTER_KEY_ENV))
                .transpose()?,
            previous: previous
                .map(|k| MasterKey::parse(k, PREVIOUS_KEY_ENV))
                .transpose()?,
        })
    }

    /// Whether values are sealed when stored.
    pub fn seals(&self) -> bool {
        self.current.is_some()
    }

    /// The stored form of `secret`, bound to `slot` (table, column and row).
    pub fn seal(&self, slot: &str, secret: &str) -> Result<String, SealError> {
        let Some(key) = &self.current else {
            return Ok(secret.to_string());
        };
        // A random 96-bit nonce per value: secrets are sealed a few times per key and day, far
        // below the 2^32 values GCM allows under one key with random nonces.
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SealError::Random)?;
        let mut sealed = secret.as_bytes().to_vec();
        key.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(slot.as_bytes()),
                &mut sealed,
            )
            // AES-GCM refuses only inputs beyond 64 GiB; secrets are a few dozen bytes.
            .map_err(|_| SealError::Damaged {
                what: slot.to_string(),
            })?;
        let mut out = Vec::with_capacity(KEY_ID_LEN + NONCE_LEN + sealed.len());
        out.extend_from_slice(&key.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// The secret of a stored value bound to `slot`; values stored in clear are returned as they are.
    pub fn open(&self, slot: &str, stored: &str) -> Result<String, SealError> {
        let Some(body) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_string());
        };
        let what = || slot.split('/').next().unwrap_or(slot).to_string();
        let damaged = || SealError::Damaged { what: what() };
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| damaged())?;
        if bytes.len() < KEY_ID_LEN + NONCE_LEN {
            return Err(damaged());
        }
        let (id, rest) = bytes.split_at(KEY_ID_LEN);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let key = [&self.current, &self.previous]
            .into_iter()
            .flatten()
            .find(|k| k.id == id)
            .ok_or_else(|| match &self.current {
                None => SealError::NoMasterKey { what: what() },
                Some(current) => SealError::WrongMasterKey {
                    what: what(),
                    found: hex::encode(id),
                    current: current.id_hex(),
                },
            })?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| damaged())?;
        let mut buf = sealed.to_vec();
        let plain = key
            .key
            .open_in_place(nonce, Aad::from(slot.as_bytes()), &mut buf)
            .map_err(|_| damaged())?;
        String::from_utf8(plain.to_vec()).map_err(|_| damaged())
    }

    /// Whether a stored value should be sealed again: stored in clear while a master key is set,
    /// or sealed with a key other than the current one.
    pub fn needs_reseal(&self, stored: &str) -> bool {
        let Some(key) = &self.current else {
            return false;
        };
        match stored.strip_prefix(PREFIX) {
            None => !stored.is_empty(),
            Some(body) => URL_SAFE_NO_PAD
                .decode(body)
                .map_or(true, |b| !b.starts_with(&key.id)),
        }
    }
}

/// A fresh master key, as `livecut keys master-key` prints it (base64 of 32 random bytes).
pub fn new_master_key() -> Result<String, SealError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| SealError::Random)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn sealed_values_open_only_in_their_slot_and_with_their_key() {
        let sealer = Sealer::new(Some(A), None).unwrap();
        let stored = sealer.seal("access_keys.secret/LTAIa", "s3cret").unwrap();
        assert!(stored.starts_with(PREFIX), "{stored}");
        assert!(!stored.contains("s3cret"));
        assert_ne!(
            stored,
            sealer.seal("access_keys.secret/LTAIa", "s3cret").unwrap(),
            "fresh nonce"
        );
        assert_eq!(
            sealer.open("access_keys.secret/LTAIa", &stored).unwrap(),
            "s3cret"
        );
        assert!(matches!(
            sealer.open("access_keys.secret/LTAIb", &stored),
            Err(SealError::Damaged { .. })
        ));
        let mut flipped = stored.clone();
        flipped.pop();
        flipped.push(if stored.ends_with('A') { 'B' } else { 'A' });
        assert!(sealer.open("access_keys.secret/LTAIa", &flipped).is_err());
        assert!(matches!(
            Sealer::clear().open("access_keys.secret/LTAIa", &stored),
            Err(SealError::NoMasterKey { .. })
        ));
        let other = Sealer::new(Some(&new_master_key().unwrap()), None).unwrap();
        let err = other.open("access_keys.secret/LTAIa", &stored).unwrap_err();
        assert!(matches!(err, SealError::WrongMasterKey { .. }), "{err}");
        assert!(!err.to_string().contains(A));
    }

    #[test]
    fn clear_values_pass_and_are_resealed_under_the_current_key() {
        let clear = Sealer::clear();
        assert_eq!(clear.seal("x/1", "plain").unwrap(), "plain");
        assert!(!clear.needs_reseal("plain"));
        let old = Sealer::new(Some(A), None).unwrap();
        let fresh = new_master_key().unwrap();
        let rolled = Sealer::new(Some(&fresh), Some(A)).unwrap();
        assert_eq!(rolled.open("x/1", "plain").unwrap(), "plain");
        assert!(rolled.needs_reseal("plain"));
        assert!(!rolled.needs_reseal(""));
        let under_old = old.seal("x/1", "v").unwrap();
        assert!(rolled.needs_reseal(&under_old));
        assert_eq!(rolled.open("x/1", &under_old).unwrap(), "v");
        assert!(!rolled.needs_reseal(&rolled.seal("x/1", "v").unwrap()));
    }

    #[test]
    fn master_keys_are_32_bytes_in_hex_or_base64() {
        assert!(
            Sealer::new(Some(&new_master_key().unwrap()), None)
                .unwrap()
                .seals()
        );
        for bad in ["", "short", &"0".repeat(62), "not base64 at all!!"] {
            assert!(Sealer::new(Some(bad), None).is_err(), "{bad:?}");
        }
        assert!(!format!("{:?}", Sealer::new(Some(A), None).unwrap()).contains(A));
    }
}
