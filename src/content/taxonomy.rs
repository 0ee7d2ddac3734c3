//! Tags, categories and series as articles name them: found by slug, created on first use,
//! so "Backend" and "backend" are one tag. Creation is race-safe: `ON CONFLICT DO NOTHING`
//! then read back, so two editors naming a new tag at once both get the same row. What a
//! write made is kept in [`NewGroups`], whose `*.created` events the write records at its
//! end (events come last in a write; see `changes`).

use std::collections::HashMap;

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::changes::{self, Subject, names};
use super::text::slugify;
use super::{ContentError, Result, Role};
use crate::entities::{category, series, tag};

/// Tags, categories and series a write created by naming them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NewGroups {
    pub tags: Vec<i32>,
    pub categories: Vec<i32>,
    pub series: Vec<i32>,
    /// The writer's role may not create groups (authors, as `createTag` and its kin say):
    /// naming one that does not exist is refused instead of creating it.
    pub may_not_create: bool,
}

impl NewGroups {
    /// For a write by `role`: editors and admins create groups by naming them.
    pub fn for_role(role: Role) -> Self {
        NewGroups { may_not_create: role < Role::Editor, ..Default::default() }
    }

    /// Records their `*.created` events; call it where the write records its others.
    pub async fn record(&self, txn: &sea_orm::DatabaseTransaction, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
        for (event, subject, ids) in [
            (names::TAG_CREATED, Subject::Tag, &self.tags),
            (names::CATEGORY_CREATED, Subject::Category, &self.categories),
            (names::SERIES_CREATED, Subject::Series, &self.series),
        ] {
            changes::record(txn, now, event, subject, ids).await?;
        }
        Ok(())
    }
}

/// The refusal of a write that names groups which do not exist, by a role that may not
/// create them.
fn cannot_create(kind: &str, names: &[&str]) -> ContentError {
    let list = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    ContentError::Forbidden(format!(
        "authors cannot create {kind}, and {list} does not exist yet: use an existing one, or ask an editor to create it"
    ))
}

/// Tags for the given names, deduplicated by slug, in the order first named; the ids of
/// those this call created go into `made`.
pub async fn tags_by_names(
    db: &impl ConnectionTrait,
    names: &[String],
    made: &mut NewGroups,
) -> Result<Vec<tag::Model>> {
    let mut wanted: Vec<(String, String)> = Vec::new();
    for name in names {
        let slug = slugify(name);
        if !wanted.iter().any(|(s, _)| *s == slug) {
            wanted.push((slug, name.trim().to_string()));
        }
    }
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    if made.may_not_create {
        let existing: Vec<String> = tag::Entity::find()
            .filter(tag::Column::Slug.is_in(wanted.iter().map(|(s, _)| s.clone())))
            .all(db)
            .await?
            .into_iter()
            .map(|t| t.slug)
            .collect();
        let missing: Vec<&str> =
            wanted.iter().filter(|(s, _)| !existing.contains(s)).map(|(_, name)| name.as_str()).collect();
        if !missing.is_empty() {
            return Err(cannot_create("tags", &missing));
        }
    }
    let now = super::now();
    // Insert in slug order so concurrent transactions take the new rows' locks in the same
    // order and cannot deadlock; the article keeps the editor's order through `wanted`.
    let mut by_slug: Vec<&(String, String)> = wanted.iter().collect();
    by_slug.sort();
    tag::Entity::insert_many(by_slug.into_iter().map(|(slug, name)| tag::ActiveModel {
        slug: Set(slug.clone()),
        name: Set(name.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }))
    .on_conflict_do_nothing_on([tag::Column::Slug])
    .exec_without_returning(db)
    .await?;
    let found: HashMap<String, tag::Model> = tag::Entity::find()
        .filter(tag::Column::Slug.is_in(wanted.iter().map(|(s, _)| s.clone())))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.slug.clone(), t))
        .collect();
    // Ours carry this call's time; one another writer made at the same moment would carry
    // its own (both would otherwise announce it).
    made.tags.extend(found.values().filter(|t| t.created_at == now).map(|t| t.id));
    Ok(wanted.into_iter().filter_map(|(slug, _)| found.get(&slug).cloned()).collect())
}

pub async fn category_by_name(
    db: &impl ConnectionTrait,
    name: &str,
    parent_id: Option<i32>,
    made: &mut NewGroups,
) -> Result<category::Model> {
    let slug = slugify(name);
    if made.may_not_create {
        return match category::Entity::find().filter(category::Column::Slug.eq(slug)).one(db).await? {
            Some(found) => Ok(found),
            None => Err(cannot_create("categories", &[name.trim()])),
        };
    }
    let now = super::now();
    category::Entity::insert(category::ActiveModel {
        slug: Set(slug.clone()),
        name: Set(name.trim().to_string()),
        parent_id: Set(parent_id),
        position: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([category::Column::Slug])
    .exec_without_returning(db)
    .await?;
    let found = category::Entity::find()
        .filter(category::Column::Slug.eq(slug))
        .one(db)
        .await?
        .expect("category exists after upsert");
    if found.created_at == now {
        made.categories.push(found.id);
    }
    Ok(found)
}

pub async fn series_by_title(db: &impl ConnectionTrait, title: &str, made: &mut NewGroups) -> Result<series::Model> {
    let slug = slugify(title);
    if made.may_not_create {
        return match series::Entity::find().filter(series::Column::Slug.eq(slug)).one(db).await? {
            Some(found) => Ok(found),
            None => Err(cannot_create("series", &[title.trim()])),
        };
    }
    let now = super::now();
    series::Entity::insert(series::ActiveModel {
        slug: Set(slug.clone()),
        title: Set(title.trim().to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([series::Column::Slug])
    .exec_without_returning(db)
    .await?;
    let found = series::Entity::find()
        .filter(series::Column::Slug.eq(slug))
        .one(db)
        .await?
        .expect("series exists after upsert");
    if found.created_at == now {
        made.series.push(found.id);
    }
    Ok(found)
}
