//! Finding rows the way paths name them, one rule for reads and writes alike: a key of
//! digits only is an id, anything else a slug (slugs are never digits only; see
//! `text::slugify`). And the check that a slug is free. One implementation for every entity
//! with an integer id and a unique `slug` column.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PrimaryKeyTrait, QueryFilter};

use super::Result;
use super::articles::parse_id;
use super::text::{is_id_like, is_valid_slug};

/// How a client names a tag, category or series.
#[derive(Debug, Clone, Copy)]
pub enum GroupKey<'a> {
    /// GraphQL's `slug:` argument: a slug (or, for tags, an old slug), nothing else.
    Slug(&'a str),
    /// A REST path segment: digits are an id, anything else a slug.
    Path(&'a str),
}

/// What a key names, once read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named<'a> {
    Id(i32),
    Slug(&'a str),
    /// Nothing can answer to it (an id out of range, a string no slug can be).
    Nothing,
}

impl<'a> GroupKey<'a> {
    pub fn named(self) -> Named<'a> {
        match self {
            GroupKey::Path(key) if is_id_like(key) => parse_id(key).map_or(Named::Nothing, Named::Id),
            // GraphQL's `slug:` may still find an old digits-only slug.
            GroupKey::Slug(s) | GroupKey::Path(s) if is_valid_slug(s) => Named::Slug(s),
            _ => Named::Nothing,
        }
    }

    pub fn as_str(self) -> &'a str {
        match self {
            GroupKey::Slug(s) | GroupKey::Path(s) => s,
        }
    }
}

/// The row a path segment names: by id when it is digits, else by slug. A key that is
/// neither an id nor a valid slug cannot name anything and never reaches the database.
pub async fn by_path<E>(db: &impl ConnectionTrait, key: &str, slug: E::Column) -> Result<Option<E::Model>>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    match GroupKey::Path(key).named() {
        Named::Id(id) => Ok(E::find_by_id(id).one(db).await?),
        Named::Slug(s) => Ok(E::find().filter(slug.eq(s)).one(db).await?),
        Named::Nothing => Ok(None),
    }
}

/// Whether another row than `own` already uses `value` in the `slug` column.
pub async fn slug_taken<E: EntityTrait>(
    db: &impl ConnectionTrait,
    slug: E::Column,
    value: &str,
    own: Option<i32>,
    id_of: impl Fn(&E::Model) -> i32,
) -> Result<bool> {
    Ok(E::find().filter(slug.eq(value)).one(db).await?.is_some_and(|row| Some(id_of(&row)) != own))
}
