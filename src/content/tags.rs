//! Tags: reads with published-article counts, and editors' management (create, rename with
//! the old slug kept resolving, describe, merge, delete).

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::articles::PageArgs;
use super::changes::{self, Subject, names};
use super::cursor::{Cursor, SortKey};
use super::groups::{Grouping, push_listed_count};
use super::input::{Checker, non_empty};
use super::lookup::{self, GroupKey, Named};
use super::model::Page;
use super::sql::Sql;
use super::text::slugify;
use super::{Content, ContentError, Result, Viewer, search};
use crate::entities::{article_tag, tag, tag_slug_history};

pub const DESCRIPTION_MAX: usize = 5000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TagOrder {
    #[default]
    Name,
    /// Most published articles first.
    ArticleCount,
}

impl TagOrder {
    fn code(self) -> &'static str {
        match self {
            TagOrder::Name => "tag_name",
            TagOrder::ArticleCount => "tag_count",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewTag {
    pub name: String,
    pub slug: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct TagPatch {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<Option<String>>,
}

/// A tag by its slug, or by a slug it had before a rename or merge.
pub async fn tag_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<tag::Model>> {
    if !super::text::is_valid_slug(slug) {
        return Ok(None);
    }
    if let Some(t) = tag::Entity::find().filter(tag::Column::Slug.eq(slug)).one(db).await? {
        return Ok(Some(t));
    }
    match tag_slug_history::Entity::find_by_id(slug.to_string()).one(db).await? {
        Some(h) => Ok(tag::Entity::find_by_id(h.tag_id).one(db).await?),
        None => Ok(None),
    }
}

/// A tag as a key names it: by id (a path of digits) or by slug, old slugs included.
async fn tag_at(db: &impl ConnectionTrait, key: GroupKey<'_>) -> Result<Option<tag::Model>> {
    match key.named() {
        Named::Id(id) => Ok(tag::Entity::find_by_id(id).one(db).await?),
        Named::Slug(slug) => tag_by_slug(db, slug).await,
        Named::Nothing => Ok(None),
    }
}

/// A tag named in a write's path.
async fn find_tag(db: &impl ConnectionTrait, key: &str) -> Result<tag::Model> {
    tag_at(db, GroupKey::Path(key))
        .await?
        .ok_or_else(|| ContentError::NotFound(format!("tag `{}`", key.escape_debug())))
}

/// Tag slugs stay unique across current slugs and old ones that still resolve.
async fn ensure_tag_slug_free(db: &impl ConnectionTrait, slug: &str, own: Option<i32>) -> Result<()> {
    let now_taken = lookup::slug_taken::<tag::Entity>(db, tag::Column::Slug, slug, own, |t| t.id).await?;
    let before =
        tag_slug_history::Entity::find_by_id(slug.to_string()).one(db).await?.is_some_and(|h| Some(h.tag_id) != own);
    if now_taken || before {
        return Err(ContentError::Conflict(format!("tag slug `{slug}` is already taken")));
    }
    Ok(())
}

async fn article_ids_with_tag(db: &impl ConnectionTrait, tag_id: i32) -> Result<Vec<i32>> {
    Ok(article_tag::Entity::find()
        .filter(article_tag::Column::TagId.eq(tag_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.article_id)
        .collect())
}

impl Content {
    /// A tag, as the viewer may see it: readers only find tags with published articles,
    /// so a tag named only by drafts tells them nothing.
    pub async fn tag(&self, viewer: &Viewer, key: GroupKey<'_>) -> Result<Option<tag::Model>> {
        let Some(t) = tag_at(self.db(), key).await? else { return Ok(None) };
        if viewer.sees_unpublished() || self.group_is_public(Grouping::Tag, vec![t.id]).await? {
            Ok(Some(t))
        } else {
            Ok(None)
        }
    }

    /// Tags with their published-article counts. Readers see tags that have published
    /// articles; editors see every tag.
    pub async fn tags(&self, viewer: &Viewer, order: TagOrder, page: &PageArgs) -> Result<Page<(tag::Model, u64)>> {
        let db = self.db();
        let backend = db.get_database_backend();
        let (size, after) = page.forward_cursor(order.code())?;
        let now = self.now();
        // Counts from the counters the database keeps, less scheduled articles not yet due.
        let build = |sql: &mut Sql, with_cursor: bool| -> Result<()> {
            sql.push("SELECT x.id AS id, x.n AS n FROM (SELECT t.id AS id, t.name AS name, ");
            push_listed_count(sql, Grouping::Tag, "t", now);
            sql.push(" AS n FROM tags t) x WHERE 1 = 1");
            if !viewer.sees_unpublished() {
                sql.push(" AND x.n > 0");
            }
            match (&after, order, with_cursor) {
                (Some(c), TagOrder::Name, true) => {
                    let SortKey::Text(name) = &c.key else { return Err(bad_cursor(page)) };
                    sql.push(" AND (x.name > ").bind(name.clone()).push(" OR (x.name = ").bind(name.clone());
                    sql.push(" AND x.id > ").bind(c.id).push("))");
                }
                (Some(c), TagOrder::ArticleCount, true) => {
                    let SortKey::Int(n) = c.key else { return Err(bad_cursor(page)) };
                    sql.push(" AND (x.n < ").bind(n).push(" OR (x.n = ").bind(n);
                    sql.push(" AND x.id > ").bind(c.id).push("))");
                }
                _ => {}
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
        list.push(match order {
            TagOrder::Name => " ORDER BY x.name ASC, x.id ASC",
            TagOrder::ArticleCount => " ORDER BY x.n DESC, x.id ASC",
        });
        list.push(" LIMIT ").bind(size as i64 + 1);
        let mut rows: Vec<(i32, i64)> = Vec::new();
        for r in db.query_all_raw(list.build()).await? {
            rows.push((r.try_get("", "id")?, r.try_get("", "n")?));
        }
        let more = rows.len() as u64 > size;
        rows.truncate(size as usize);
        let models: std::collections::HashMap<i32, tag::Model> = tag::Entity::find()
            .filter(tag::Column::Id.is_in(rows.iter().map(|(id, _)| *id)))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let items = rows
            .into_iter()
            .filter_map(|(id, n)| {
                let t = models.get(&id)?.clone();
                let key = match order {
                    TagOrder::Name => SortKey::Text(t.name.clone()),
                    TagOrder::ArticleCount => SortKey::Int(n),
                };
                Some((Cursor { order: order.code().into(), key, id }.encode(), (t, n as u64)))
            })
            .collect();
        Ok(Page { items, has_next_page: more, has_previous_page: after.is_some(), total: total as u64 })
    }

    pub async fn create_tag(&self, viewer: &Viewer, input: NewTag) -> Result<tag::Model> {
        let principal = viewer.require_editor()?;
        let mut c = Checker::default();
        c.name("name", &input.name);
        if let Some(s) = &input.slug {
            c.slug("slug", s);
        }
        if let Some(d) = &input.description {
            c.text("description", d, DESCRIPTION_MAX);
        }
        c.finish()?;
        let txn = self.begin_write().await?;
        let slug = input.slug.clone().unwrap_or_else(|| slugify(&input.name));
        ensure_tag_slug_free(&txn, &slug, None).await?;
        let now = self.now();
        let created = tag::ActiveModel {
            slug: Set(slug.clone()),
            name: Set(input.name.trim().to_string()),
            description: Set(non_empty(input.description)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| ContentError::from_db(e, || format!("tag slug `{slug}` is already taken")))?;
        super::audit::record(&txn, &principal.subject, "tag.create", format!("tag:{}", created.slug)).await?;
        changes::group(&txn, self.now(), names::TAG_CREATED, Subject::Tag, created.id, &[]).await?;
        txn.commit().await?;
        Ok(created)
    }

    /// Renames keep the slug unless a new one is given; a changed slug keeps resolving.
    pub async fn update_tag(&self, viewer: &Viewer, key: &str, patch: TagPatch) -> Result<tag::Model> {
        let principal = viewer.require_editor()?;
        let mut c = Checker::default();
        if let Some(n) = &patch.name {
            c.name("name", n);
        }
        if let Some(s) = &patch.slug {
            c.slug("slug", s);
        }
        if let Some(Some(d)) = &patch.description {
            c.text("description", d, DESCRIPTION_MAX);
        }
        c.finish()?;
        let txn = self.begin_exclusive_write().await?;
        let current = find_tag(&txn, key).await?;
        let mut am: tag::ActiveModel = current.clone().into();
        if let Some(n) = &patch.name {
            am.name = Set(n.trim().to_string());
        }
        if let Some(d) = patch.description {
            am.description = Set(non_empty(d));
        }
        let new_slug = patch.slug.clone().filter(|s| *s != current.slug);
        if let Some(s) = &new_slug {
            ensure_tag_slug_free(&txn, s, Some(current.id)).await?;
            am.slug = Set(s.clone());
        }
        am.updated_at = Set(self.now());
        let updated =
            am.update(&txn).await.map_err(|e| ContentError::from_db(e, || "tag slug is already taken".into()))?;
        if new_slug.is_some() {
            remember_tag_slug(&txn, &current.slug, current.id, &updated.slug).await?;
        }
        if patch.name.is_some() {
            search::index_articles(&txn, &article_ids_with_tag(&txn, current.id).await?).await?;
        }
        super::audit::record(&txn, &principal.subject, "tag.update", format!("tag:{}", current.slug)).await?;
        // Articles show a tag's name and slug, not its description.
        let members = if updated.name != current.name || updated.slug != current.slug {
            changes::announced_members(&txn, Grouping::Tag, current.id, self.now()).await?
        } else {
            Vec::new()
        };
        changes::group(&txn, self.now(), names::TAG_UPDATED, Subject::Tag, current.id, &members).await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// Moves every article of `source` to `target` (keeping each article's tag order),
    /// deletes `source`, and keeps its slug resolving to `target`.
    pub async fn merge_tags(&self, viewer: &Viewer, source: &str, target: &str) -> Result<tag::Model> {
        let principal = viewer.require_editor()?;
        let txn = self.begin_exclusive_write().await?;
        let from = find_tag(&txn, source).await?;
        // The target is named in the request's body, not its address: a missing one is a bad
        // field (422 / BAD_USER_INPUT), where a missing source is 404.
        let into = match find_tag(&txn, target).await {
            Err(ContentError::NotFound(_)) => return Err(ContentError::field("target_id", "names no tag")),
            other => other?,
        };
        if from.id == into.id {
            return Err(ContentError::field("target_id", "must be a different tag from the source"));
        }
        let affected = article_ids_with_tag(&txn, from.id).await?;
        let members = changes::announced_members(&txn, Grouping::Tag, from.id, self.now()).await?;
        let already: std::collections::HashSet<i32> = article_ids_with_tag(&txn, into.id).await?.into_iter().collect();
        for link in article_tag::Entity::find().filter(article_tag::Column::TagId.eq(from.id)).all(&txn).await? {
            if !already.contains(&link.article_id) {
                article_tag::Entity::insert(article_tag::ActiveModel {
                    article_id: Set(link.article_id),
                    tag_id: Set(into.id),
                    position: Set(link.position),
                })
                .exec_without_returning(&txn)
                .await?;
            }
        }
        // History rows of the source now point at the target, then the source goes.
        tag_slug_history::Entity::update_many()
            .set(tag_slug_history::ActiveModel { tag_id: Set(into.id), ..Default::default() })
            .filter(tag_slug_history::Column::TagId.eq(from.id))
            .exec(&txn)
            .await?;
        tag::Entity::delete_by_id(from.id).exec(&txn).await?;
        remember_tag_slug(&txn, &from.slug, into.id, &into.slug).await?;
        search::index_articles(&txn, &affected).await?;
        super::audit::record(&txn, &principal.subject, "tag.merge", format!("tag:{}", from.slug)).await?;
        changes::group(&txn, self.now(), names::TAG_DELETED, Subject::Tag, from.id, &members).await?;
        changes::group(&txn, self.now(), names::TAG_UPDATED, Subject::Tag, into.id, &[]).await?;
        txn.commit().await?;
        Ok(into)
    }

    /// Deletes a tag and unlinks it from its articles.
    pub async fn delete_tag(&self, viewer: &Viewer, key: &str) -> Result<()> {
        let principal = viewer.require_editor()?;
        let txn = self.begin_exclusive_write().await?;
        let t = find_tag(&txn, key).await?;
        let affected = article_ids_with_tag(&txn, t.id).await?;
        let members = changes::announced_members(&txn, Grouping::Tag, t.id, self.now()).await?;
        tag::Entity::delete_by_id(t.id).exec(&txn).await?;
        search::index_articles(&txn, &affected).await?;
        super::audit::record(&txn, &principal.subject, "tag.delete", format!("tag:{}", t.slug)).await?;
        changes::group(&txn, self.now(), names::TAG_DELETED, Subject::Tag, t.id, &members).await?;
        txn.commit().await?;
        Ok(())
    }
}

async fn remember_tag_slug(db: &impl ConnectionTrait, old: &str, tag_id: i32, current: &str) -> Result<()> {
    tag_slug_history::Entity::delete_by_id(current.to_string()).exec(db).await?;
    tag_slug_history::Entity::insert(tag_slug_history::ActiveModel {
        slug: Set(old.to_string()),
        tag_id: Set(tag_id),
        created_at: Set(super::now()),
    })
    .on_conflict_do_nothing_on([tag_slug_history::Column::Slug])
    .exec_without_returning(db)
    .await?;
    Ok(())
}

fn bad_cursor(page: &PageArgs) -> ContentError {
    ContentError::field(page.names.after, "is not a valid cursor for this list")
}
