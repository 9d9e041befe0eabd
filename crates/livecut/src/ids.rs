//! Identifiers in the shapes IMS uses: 32 lower-case hex characters for jobs, media and projects,
//! an upper-case UUID for request ids.

use uuid::Uuid;

/// Time-ordered (UUIDv7) so that ids sort by creation, which keeps index pages local.
pub fn new_resource_id() -> String {
    Uuid::now_v7().simple().to_string()
}

pub fn new_request_id() -> String {
    Uuid::new_v4().hyphenated().to_string().to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_are_32_hex_and_distinct() {
        let a = new_resource_id();
        let b = new_resource_id();
        assert_eq!(a.len(), 32);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }

    #[test]
    fn request_ids_are_upper_case_uuids() {
        let r = new_request_id();
        assert_eq!(r.len(), 36);
        assert_eq!(r, r.to_uppercase());
    }
}
