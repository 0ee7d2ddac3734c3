//! The audit log: every mutation, recorded in the transaction that makes it, so the log and
//! the data never disagree. Admins read it newest first.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::articles::PageArgs;
use super::cursor::{Cursor, SortKey};
use super::model::Page;
use super::{Content, Result, Viewer};
use crate::entities::audit_entry;

/// The actor recorded for work nobody asked for just now (the scheduler).
pub const SYSTEM: &str = "system";

pub async fn record(db: &impl ConnectionTrait, actor: &str, action: &str, target: impl Into<String>) -> Result<()> {
    audit_entry::Entity::insert(audit_entry::ActiveModel {
        action: Set(action.to_string()),
        actor: Set(actor.to_string()),
        target: Set(target.into()),
        created_at: Set(super::now()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

impl Content {
    /// Newest first. Admins only.
    pub async fn audit_log(&self, viewer: &Viewer, page: &PageArgs) -> Result<Page<audit_entry::Model>> {
        viewer.require_admin()?;
        let db = self.db();
        let (size, after) = page.forward_cursor("audit")?;
        let total = audit_entry::Entity::find().count(db).await?;
        let mut q = audit_entry::Entity::find().order_by_desc(audit_entry::Column::Id);
        if let Some(c) = &after {
            q = q.filter(audit_entry::Column::Id.lt(c.id));
        }
        let mut rows = q.limit(size + 1).all(db).await?;
        let more = rows.len() as u64 > size;
        rows.truncate(size as usize);
        let items = rows
            .into_iter()
            .map(|r| (Cursor { order: "audit".into(), key: SortKey::Int(r.id as i64), id: r.id }.encode(), r))
            .collect();
        Ok(Page { items, has_next_page: more, has_previous_page: after.is_some(), total })
    }
}
