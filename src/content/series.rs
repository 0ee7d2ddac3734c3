//! Series: reads with published-article counts, and editors' management (create, rename,
//! describe, reorder parts, delete).

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use super::articles::{PageArgs, parse_id};
use super::changes::{self, Subject, names};
use super::cursor::{Cursor, SortKey};
use super::groups::Grouping;
use super::input::{Checker, non_empty};
use super::lookup::{self, GroupKey, Named};
use super::model::Page;
use super::sql::{Sql, push_visible};
use super::tags::DESCRIPTION_MAX;
use super::text::slugify;
use super::{Content, ContentError, Result, Viewer};
use crate::entities::{article, series};

#[derive(Debug, Clone, Default)]
pub struct NewSeries {
    pub title: String,
    pub slug: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct SeriesPatch {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub description: Option<Option<String>>,
}

pub async fn find_series(db: &impl ConnectionTrait, key: &str) -> Result<series::Model> {
    lookup::by_path::<series::Entity>(db, key, series::Column::Slug)
        .await?
        .ok_or_else(|| ContentError::NotFound(format!("series `{}`", key.escape_debug())))
}

async fn ensure_slug_free(db: &impl ConnectionTrait, slug: &str, own: Option<i32>) -> Result<()> {
    if lookup::slug_taken::<series::Entity>(db, series::Column::Slug, slug, own, |s| s.id).await? {
        return Err(ContentError::Conflict(format!("series slug `{slug}` is already taken")));
    }
    Ok(())
}

fn check(c: &mut Checker, title: Option<&String>, slug: Option<&String>, description: Option<&String>) {
    if let Some(t) = title {
        c.title("title", t);
    }
    if let Some(s) = slug {
        c.slug("slug", s);
    }
    if let Some(d) = description {
        c.text("description", d, DESCRIPTION_MAX);
    }
}

impl Content {
    /// A series, as the viewer may see it: readers only find series with published articles.
    pub async fn series(&self, viewer: &Viewer, key: GroupKey<'_>) -> Result<Option<series::Model>> {
        let db = self.db();
        let found = match key.named() {
            Named::Id(id) => series::Entity::find_by_id(id).one(db).await?,
            Named::Slug(slug) => series::Entity::find().filter(series::Column::Slug.eq(slug)).one(db).await?,
            Named::Nothing => None,
        };
        let Some(s) = found else { return Ok(None) };
        if viewer.sees_unpublished() || self.group_is_public(Grouping::Series, vec![s.id]).await? {
            Ok(Some(s))
        } else {
            Ok(None)
        }
    }

    /// Series by title. Readers see series with published articles; editors see all.
    pub async fn series_list(&self, viewer: &Viewer, page: &PageArgs) -> Result<Page<series::Model>> {
        let db = self.db();
        let backend = db.get_database_backend();
        let (size, after) = page.forward_cursor("series_title")?;
        let now = self.now();
        let build = |sql: &mut Sql, with_cursor: bool| -> Result<()> {
            sql.push("SELECT s.id AS id, s.title AS title FROM series s");
            let mut clauses = Vec::new();
            if !viewer.sees_unpublished() {
                clauses.push(());
                sql.push(" WHERE EXISTS (SELECT 1 FROM articles a WHERE a.series_id = s.id AND ");
                push_visible(sql, "a", now);
                sql.push(")");
            }
            if let (Some(c), true) = (&after, with_cursor) {
                let SortKey::Text(title) = &c.key else {
                    return Err(ContentError::field(page.names.after, "is not a valid cursor for this list"));
                };
                sql.push(if clauses.is_empty() { " WHERE " } else { " AND " });
                sql.push("(s.title > ").bind(title.clone()).push(" OR (s.title = ").bind(title.clone());
                sql.push(" AND s.id > ").bind(c.id).push("))");
            }
            Ok(())
        };
        let mut count = Sql::new(backend);
        count.push("SELECT COUNT(*) AS n FROM (");
        build(&mut count, false)?;
        count.push(") x");
        let total: i64 = db.query_one_raw(count.build()).await?.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
        let mut list = Sql::new(backend);
        build(&mut list, true)?;
        list.push(" ORDER BY s.title ASC, s.id ASC LIMIT ").bind(size as i64 + 1);
        let mut ids = Vec::new();
        for r in db.query_all_raw(list.build()).await? {
            ids.push(r.try_get::<i32>("", "id")?);
        }
        let more = ids.len() as u64 > size;
        ids.truncate(size as usize);
        let mut models: HashMap<i32, series::Model> = series::Entity::find()
            .filter(series::Column::Id.is_in(ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let items = ids
            .into_iter()
            .filter_map(|id| {
                let s = models.remove(&id)?;
                let c = Cursor { order: "series_title".into(), key: SortKey::Text(s.title.clone()), id };
                Some((c.encode(), s))
            })
            .collect();
        Ok(Page { items, has_next_page: more, has_previous_page: after.is_some(), total: total as u64 })
    }

    pub async fn create_series(&self, viewer: &Viewer, input: NewSeries) -> Result<series::Model> {
        let principal = viewer.require_editor()?;
        let mut c = Checker::default();
        check(&mut c, Some(&input.title), input.slug.as_ref(), input.description.as_ref());
        c.finish()?;
        let txn = self.begin_write().await?;
        let slug = input.slug.clone().unwrap_or_else(|| slugify(&input.title));
        if slug.is_empty() {
            return Err(ContentError::field("title", "must contain at least one letter or digit"));
        }
        ensure_slug_free(&txn, &slug, None).await?;
        let now = self.now();
        let created = series::ActiveModel {
            slug: Set(slug.clone()),
            title: Set(input.title.trim().to_string()),
            description: Set(non_empty(input.description)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| ContentError::from_db(e, || format!("series slug `{slug}` is already taken")))?;
        super::audit::record(&txn, &principal.subject, "series.create", format!("series:{}", created.slug)).await?;
        changes::group(&txn, self.now(), names::SERIES_CREATED, Subject::Series, created.id, &[]).await?;
        txn.commit().await?;
        Ok(created)
    }

    pub async fn update_series(&self, viewer: &Viewer, key: &str, patch: SeriesPatch) -> Result<series::Model> {
        let principal = viewer.require_editor()?;
        let mut c = Checker::default();
        check(&mut c, patch.title.as_ref(), patch.slug.as_ref(), patch.description.clone().flatten().as_ref());
        c.finish()?;
        let txn = self.begin_exclusive_write().await?;
        let current = find_series(&txn, key).await?;
        let mut am: series::ActiveModel = current.clone().into();
        if let Some(t) = &patch.title {
            am.title = Set(t.trim().to_string());
        }
        if let Some(s) = &patch.slug
            && *s != current.slug
        {
            ensure_slug_free(&txn, s, Some(current.id)).await?;
            am.slug = Set(s.clone());
        }
        if let Some(d) = patch.description {
            am.description = Set(non_empty(d));
        }
        am.updated_at = Set(self.now());
        let updated =
            am.update(&txn).await.map_err(|e| ContentError::from_db(e, || "series slug is already taken".into()))?;
        super::audit::record(&txn, &principal.subject, "series.update", format!("series:{}", current.slug)).await?;
        // Articles show their series' title and slug.
        let members = if updated.title != current.title || updated.slug != current.slug {
            changes::announced_members(&txn, Grouping::Series, current.id, self.now()).await?
        } else {
            Vec::new()
        };
        changes::group(&txn, self.now(), names::SERIES_UPDATED, Subject::Series, current.id, &members).await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// Refused with a conflict while articles belong to it.
    pub async fn delete_series(&self, viewer: &Viewer, key: &str) -> Result<()> {
        let principal = viewer.require_editor()?;
        let txn = self.begin_exclusive_write().await?;
        let s = find_series(&txn, key).await?;
        let n = article::Entity::find().filter(article::Column::SeriesId.eq(s.id)).count(&txn).await?;
        if n > 0 {
            return Err(ContentError::Conflict(format!(
                "series `{}` still has {n} article(s); take them out of it first",
                s.slug
            )));
        }
        series::Entity::delete_by_id(s.id).exec(&txn).await?;
        super::audit::record(&txn, &principal.subject, "series.delete", format!("series:{}", s.slug)).await?;
        changes::group(&txn, self.now(), names::SERIES_DELETED, Subject::Series, s.id, &[]).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Puts the listed articles of the series in the given order: the part numbers they
    /// hold are kept, gaps included, and handed out among them in the new order. Articles
    /// not listed keep their parts; those whose part does not change are not touched.
    pub async fn reorder_series(&self, viewer: &Viewer, key: &str, article_ids: &[String]) -> Result<series::Model> {
        let principal = viewer.require_editor()?;
        let txn = self.begin_write().await?;
        let s = find_series(&txn, key).await?;
        super::lock_for_txn(&txn, &format!("series:{}", s.slug)).await?;
        let members = article::Entity::find()
            .filter(article::Column::SeriesId.eq(s.id))
            .order_by_asc(article::Column::SeriesPart)
            .all(&txn)
            .await?;
        let mut wanted = Vec::new();
        for raw in article_ids {
            match parse_id(raw).filter(|id| members.iter().any(|m| m.id == *id)) {
                Some(id) if !wanted.contains(&id) => wanted.push(id),
                Some(_) => return Err(ContentError::field("article_ids", format!("lists `{raw}` twice"))),
                None => {
                    return Err(ContentError::field(
                        "article_ids",
                        format!("`{raw}` is not an article of this series"),
                    ));
                }
            }
        }
        // The parts the named articles hold, handed out among them in the new order; the
        // articles not named (a trashed part, one the caller does not list) keep theirs.
        let mut parts: Vec<i32> =
            wanted.iter().filter_map(|id| members.iter().find(|m| m.id == *id)?.series_part).collect();
        if parts.len() != wanted.len() {
            return Err(ContentError::field("article_ids", "lists an article without a part number"));
        }
        parts.sort_unstable();
        let moves: Vec<(&article::Model, i32)> = wanted
            .iter()
            .zip(parts)
            .map(|(id, part)| (members.iter().find(|m| m.id == *id).expect("member"), part))
            .filter(|(m, part)| m.series_part != Some(*part))
            .collect();
        // Two passes so no intermediate state breaks the (series, part) uniqueness. An
        // article whose part stays is not touched: its version, and its editor, are spared.
        for (i, (m, _)) in moves.iter().enumerate() {
            article::Entity::update_many()
                .set(article::ActiveModel { series_part: Set(Some(-(i as i32) - 1)), ..Default::default() })
                .filter(article::Column::Id.eq(m.id))
                .exec(&txn)
                .await?;
        }
        let now = self.now();
        for (m, part) in &moves {
            let res = article::Entity::update_many()
                .set(article::ActiveModel {
                    series_part: Set(Some(*part)),
                    version: Set(m.version + 1),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .filter(article::Column::Id.eq(m.id))
                // Saved by someone else since it was read: its version (and revision) would clash.
                .filter(article::Column::Version.eq(m.version))
                .exec(&txn)
                .await?;
            if res.rows_affected == 0 {
                return Err(ContentError::Conflict(format!(
                    "article {} of the series was saved meanwhile; reorder again",
                    m.id
                )));
            }
            let moved =
                article::Model { series_part: Some(*part), version: m.version + 1, updated_at: now, ..(*m).clone() };
            super::articles::record_revision(&txn, &moved, principal).await?;
        }
        super::audit::record(&txn, &principal.subject, "series.reorder", format!("series:{}", s.slug)).await?;
        let members = changes::announced_members(&txn, Grouping::Series, s.id, self.now()).await?;
        changes::group(&txn, self.now(), names::SERIES_UPDATED, Subject::Series, s.id, &members).await?;
        txn.commit().await?;
        Ok(s)
    }
}
