//! Finding taxonomy rows (tags, categories, series) the way writes name them: by id, else by
//! slug; and the check that a slug is free. One implementation for every entity with an
//! integer id and a unique `slug` column.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PrimaryKeyTrait, QueryFilter};

use super::Result;
use super::articles::parse_id;
use super::text::is_valid_slug;

/// The row whose id is `key`, else whose slug is `key`. A key that is neither an id nor a
/// valid slug cannot name anything and never reaches the database.
pub async fn by_id_or_slug<E>(db: &impl ConnectionTrait, key: &str, slug: E::Column) -> Result<Option<E::Model>>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    if !is_valid_slug(key) {
        return Ok(None);
    }
    if let Some(id) = parse_id(key)
        && let Some(row) = E::find_by_id(id).one(db).await?
    {
        return Ok(Some(row));
    }
    Ok(E::find().filter(slug.eq(key)).one(db).await?)
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
