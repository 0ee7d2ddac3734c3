//! Categories: a tree editors shape (create, rename, move without cycles, reorder siblings,
//! delete with reassignment); readers get it in tree order.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::changes::{self, Subject, names};
use super::groups::Grouping;
use super::input::{Checker, non_empty};
use super::lookup;
use super::tags::DESCRIPTION_MAX;
use super::text::slugify;
use super::tree::CategoryTree;
use super::{Content, ContentError, Result, Viewer};
use crate::entities::{article, category};

#[derive(Debug, Clone, Default)]
pub struct NewCategory {
    pub name: String,
    pub slug: Option<String>,
    pub description: Option<String>,
    /// The parent's id or slug; a root category without one.
    pub parent: Option<String>,
    /// Order among siblings (ascending); after the last sibling when absent.
    pub position: Option<i32>,
}

#[derive(Debug, Clone, Default)]
pub struct CategoryPatch {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<Option<String>>,
    /// `Some(None)` makes it a root.
    pub parent: Option<Option<String>>,
    pub position: Option<i32>,
}

/// A category named in a write, by id or slug; `field` names the input for the error when it
/// is one (a `parent`, a `reassign_to`), else it is a not-found.
async fn find_category(db: &impl ConnectionTrait, key: &str, field: &str) -> Result<category::Model> {
    match lookup::by_path::<category::Entity>(db, key, category::Column::Slug).await? {
        Some(c) => Ok(c),
        None if field.is_empty() => Err(ContentError::NotFound(format!("category `{}`", key.escape_debug()))),
        None => Err(ContentError::field(field, format!("names no category (`{}`)", key.escape_debug()))),
    }
}

async fn ensure_slug_free(db: &impl ConnectionTrait, slug: &str, own: Option<i32>) -> Result<()> {
    if lookup::slug_taken::<category::Entity>(db, category::Column::Slug, slug, own, |c| c.id).await? {
        return Err(ContentError::Conflict(format!("category slug `{slug}` is already taken")));
    }
    Ok(())
}

/// Positions order siblings (negative ones go first); the bound leaves room to append
/// after the last without overflow.
pub const POSITION_MAX: i32 = 1_000_000;

fn check_fields(
    c: &mut Checker,
    name: Option<&String>,
    slug: Option<&String>,
    description: Option<&String>,
    position: Option<i32>,
) {
    if let Some(p) = position
        && !(-POSITION_MAX..=POSITION_MAX).contains(&p)
    {
        c.push("position", format!("must be between -{POSITION_MAX} and {POSITION_MAX}"));
    }
    if let Some(n) = name {
        c.name("name", n);
    }
    if let Some(s) = slug {
        c.slug("slug", s);
    }
    if let Some(d) = description {
        c.text("description", d, DESCRIPTION_MAX);
    }
}

async fn next_position(db: &impl ConnectionTrait, parent: Option<i32>) -> Result<i32> {
    let siblings = category::Entity::find()
        .filter(match parent {
            Some(p) => category::Column::ParentId.eq(p),
            None => category::Column::ParentId.is_null(),
        })
        .all(db)
        .await?;
    Ok(siblings.iter().map(|c| c.position.saturating_add(1)).max().unwrap_or(0))
}

impl Content {
    pub async fn category_tree(&self) -> Result<CategoryTree> {
        CategoryTree::load(self.db()).await
    }

    /// The tree as the viewer may see it. Readers get the categories with published
    /// articles in them or below them: one named only by drafts or by scheduled articles
    /// not yet due tells them nothing. Editors and admins get every category.
    pub async fn category_tree_for(&self, viewer: &Viewer) -> Result<CategoryTree> {
        if viewer.sees_unpublished() {
            return self.category_tree().await;
        }
        // Every category with its own public count, in one statement.
        use sea_orm::{ConnectionTrait, FromQueryResult};
        let db = self.db();
        let mut sql = super::sql::Sql::new(db.get_database_backend());
        sql.push("SELECT c.*, ");
        super::groups::push_listed_count(&mut sql, Grouping::Category, "c", self.now());
        sql.push(" AS listed_now FROM categories c");
        let mut rows = Vec::new();
        let mut used = std::collections::HashSet::new();
        for row in db.query_all_raw(sql.build()).await? {
            let category = category::Model::from_query_result(&row, "")?;
            if row.try_get::<i64>("", "listed_now")? > 0 {
                used.insert(category.id);
            }
            rows.push(category);
        }
        Ok(CategoryTree::from_rows(rows).pruned(|id| used.contains(&id)))
    }

    pub async fn create_category(&self, viewer: &Viewer, input: NewCategory) -> Result<category::Model> {
        let principal = viewer.require_editor()?;
        let mut c = Checker::default();
        check_fields(&mut c, Some(&input.name), input.slug.as_ref(), input.description.as_ref(), input.position);
        c.finish()?;
        let txn = self.begin_write().await?;
        let slug = input.slug.clone().unwrap_or_else(|| slugify(&input.name));
        ensure_slug_free(&txn, &slug, None).await?;
        let parent_id = match &input.parent {
            Some(p) => Some(find_category(&txn, p, "parent").await?.id),
            None => None,
        };
        let position = match input.position {
            Some(p) => p,
            None => next_position(&txn, parent_id).await?,
        };
        let now = self.now();
        let created = category::ActiveModel {
            slug: Set(slug.clone()),
            name: Set(input.name.trim().to_string()),
            description: Set(non_empty(input.description)),
            parent_id: Set(parent_id),
            position: Set(position),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| ContentError::from_db(e, || format!("category slug `{slug}` is already taken")))?;
        super::audit::record(&txn, &principal.subject, "category.create", format!("category:{}", created.slug)).await?;
        changes::group(&txn, self.now(), names::CATEGORY_CREATED, Subject::Category, created.id, &[]).await?;
        txn.commit().await?;
        Ok(created)
    }

    /// Renames, moves (never under itself or its own descendants) and reorders.
    pub async fn update_category(&self, viewer: &Viewer, key: &str, patch: CategoryPatch) -> Result<category::Model> {
        let principal = viewer.require_editor()?;
        let mut c = Checker::default();
        check_fields(
            &mut c,
            patch.name.as_ref(),
            patch.slug.as_ref(),
            patch.description.clone().flatten().as_ref(),
            patch.position,
        );
        c.finish()?;
        let txn = self.begin_exclusive_write().await?;
        let current = find_category(&txn, key, "").await?;
        let mut am: category::ActiveModel = current.clone().into();
        if let Some(n) = &patch.name {
            am.name = Set(n.trim().to_string());
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
        if let Some(parent) = &patch.parent {
            let parent_id = match parent {
                Some(p) => {
                    let p = find_category(&txn, p, "parent").await?;
                    let tree = CategoryTree::load(&txn).await?;
                    if tree.with_descendants(current.id).contains(&p.id) {
                        return Err(ContentError::field(
                            "parent",
                            format!(
                                "`{}` is this category or one of its descendants; a category cannot move under itself",
                                p.slug
                            ),
                        ));
                    }
                    Some(p.id)
                }
                None => None,
            };
            am.parent_id = Set(parent_id);
            if patch.position.is_none() && parent_id != current.parent_id {
                am.position = Set(next_position(&txn, parent_id).await?);
            }
        }
        if let Some(p) = patch.position {
            am.position = Set(p);
        }
        am.updated_at = Set(self.now());
        let updated =
            am.update(&txn).await.map_err(|e| ContentError::from_db(e, || "category slug is already taken".into()))?;
        super::audit::record(&txn, &principal.subject, "category.update", format!("category:{}", current.slug)).await?;
        // Articles show their category's name and slug.
        let members = if updated.name != current.name || updated.slug != current.slug {
            changes::announced_members(&txn, Grouping::Category, current.id, self.now()).await?
        } else {
            Vec::new()
        };
        changes::group(&txn, self.now(), names::CATEGORY_UPDATED, Subject::Category, current.id, &members).await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// Refused with a conflict while articles or child categories use it, unless
    /// `reassign_to` names a category to take them over.
    pub async fn delete_category(&self, viewer: &Viewer, key: &str, reassign_to: Option<&str>) -> Result<()> {
        let principal = viewer.require_editor()?;
        let txn = self.begin_exclusive_write().await?;
        let current = find_category(&txn, key, "").await?;
        let articles = article::Entity::find().filter(article::Column::CategoryId.eq(current.id)).count(&txn).await?;
        let children = category::Entity::find().filter(category::Column::ParentId.eq(current.id)).count(&txn).await?;
        let members = changes::announced_members(&txn, Grouping::Category, current.id, self.now()).await?;
        match reassign_to {
            None if articles > 0 || children > 0 => {
                return Err(ContentError::Conflict(format!(
                    "category `{}` still has {articles} article(s) and {children} child categor{}; \
                     pass a category to reassign them to",
                    current.slug,
                    if children == 1 { "y" } else { "ies" }
                )));
            }
            None => {}
            Some(target) => {
                let target = find_category(&txn, target, "reassign_to").await?;
                let tree = CategoryTree::load(&txn).await?;
                if tree.with_descendants(current.id).contains(&target.id) {
                    return Err(ContentError::field(
                        "reassign_to",
                        "must be outside the category being deleted and its descendants",
                    ));
                }
                article::Entity::update_many()
                    .set(article::ActiveModel { category_id: Set(Some(target.id)), ..Default::default() })
                    .filter(article::Column::CategoryId.eq(current.id))
                    .exec(&txn)
                    .await?;
                category::Entity::update_many()
                    .set(category::ActiveModel { parent_id: Set(Some(target.id)), ..Default::default() })
                    .filter(category::Column::ParentId.eq(current.id))
                    .exec(&txn)
                    .await?;
            }
        }
        category::Entity::delete_by_id(current.id).exec(&txn).await?;
        super::audit::record(&txn, &principal.subject, "category.delete", format!("category:{}", current.slug)).await?;
        changes::group(&txn, self.now(), names::CATEGORY_DELETED, Subject::Category, current.id, &members).await?;
        txn.commit().await?;
        Ok(())
    }
}
