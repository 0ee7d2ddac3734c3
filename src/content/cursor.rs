//! Opaque keyset cursors. A cursor names the position of one row in one order: the order's
//! code, the row's sort key and its id (the tie-breaker). Clients treat it as opaque; a
//! cursor made for one order is refused by another.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ContentError, Result};

/// Tagged, so a title that looks like a date stays a title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    #[serde(rename = "t")]
    Time(Option<DateTime<Utc>>),
    #[serde(rename = "s")]
    Text(String),
    #[serde(rename = "n")]
    Int(i64),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The order this cursor belongs to.
    #[serde(rename = "o")]
    pub order: String,
    #[serde(rename = "k")]
    pub key: SortKey,
    #[serde(rename = "i")]
    pub id: i32,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("cursor serializes"))
    }

    /// Decodes a cursor a client sent back, naming `field` in the error when it is not one
    /// of ours or was made for another order.
    pub fn decode(raw: &str, order: &str, field: &str) -> Result<Cursor> {
        let bad = || ContentError::field(field, "is not a valid cursor for this list");
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim_end_matches('=')).map_err(|_| bad())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if cursor.order != order {
            return Err(ContentError::field(field, "was made for a different order; start again without it"));
        }
        Ok(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_each_key_kind() {
        let t = DateTime::parse_from_rfc3339("2025-06-11T08:30:00.123456Z").unwrap().with_timezone(&Utc);
        for key in [SortKey::Time(Some(t)), SortKey::Time(None), SortKey::Text("Zürich & \"quotes\"".into())] {
            let c = Cursor { order: "published_desc".into(), key, id: 42 };
            let raw = c.encode();
            assert!(raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{raw}");
            assert_eq!(Cursor::decode(&raw, "published_desc", "after").unwrap(), c);
        }
    }

    #[test]
    fn refuses_garbage_and_other_orders() {
        let c = Cursor { order: "title".into(), key: SortKey::Text("a".into()), id: 1 };
        let err = Cursor::decode(&c.encode(), "published_desc", "after").unwrap_err();
        assert!(matches!(err, ContentError::Validation(ref e) if e[0].field == "after"), "{err:?}");
        for raw in ["", "!!!", "bm90IGpzb24", "e30"] {
            assert!(Cursor::decode(raw, "title", "cursor").is_err(), "{raw}");
        }
    }
}
