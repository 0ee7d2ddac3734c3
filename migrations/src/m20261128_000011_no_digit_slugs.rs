//! No slug is digits only: in every path a segment of digits names a record by id, so a
//! slug like `2024` (which titles such as "2024" used to give) could never be reached by
//! it. Such slugs become what the slug rule gives now (`2024-2`, or `2024-<id>` when that
//! is taken); articles and tags keep the old one in their slug history, so GraphQL's
//! `slug:` still finds them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, history table and its key column, when the table keeps old slugs)
const TABLES: &[(&str, Option<(&str, &str)>)] = &[
    ("articles", Some(("article_slug_history", "article_id"))),
    ("tags", Some(("tag_slug_history", "tag_id"))),
    ("categories", None),
    ("series", None),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let digits_only = match backend {
            DbBackend::Postgres => "slug ~ '^[0-9]+$'",
            _ => "slug <> '' AND slug NOT GLOB '*[^0-9]*'",
        };
        let p = |n: usize| if backend == DbBackend::Postgres { format!("${n}") } else { "?".into() };
        let now = sea_orm_migration::sea_orm::prelude::ChronoUtc::now();
        for (table, history) in TABLES {
            let rows = db
                .query_all_raw(Statement::from_string(
                    backend,
                    format!("SELECT id, slug FROM {table} WHERE {digits_only}"),
                ))
                .await?;
            for row in rows {
                let id: i32 = row.try_get("", "id")?;
                let old: String = row.try_get("", "slug")?;
                let mut new = format!("{old}-2");
                let taken_sql = format!("SELECT 1 AS x FROM {table} WHERE slug = {}", p(1));
                let taken = db
                    .query_one_raw(Statement::from_sql_and_values(backend, &taken_sql, [Value::from(new.clone())]))
                    .await?
                    .is_some();
                if taken {
                    new = format!("{old}-{id}");
                }
                let update = format!("UPDATE {table} SET slug = {} WHERE id = {}", p(1), p(2));
                db.execute_raw(Statement::from_sql_and_values(backend, &update, [Value::from(new), Value::from(id)]))
                    .await?;
                if let Some((history, key)) = history {
                    let insert = format!(
                        "INSERT INTO {history} (slug, {key}, created_at) VALUES ({}, {}, {}) ON CONFLICT DO NOTHING",
                        p(1),
                        p(2),
                        p(3)
                    );
                    db.execute_raw(Statement::from_sql_and_values(
                        backend,
                        &insert,
                        [Value::from(old), Value::from(id), Value::from(now)],
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(()) // the old slugs stay in the history; nothing to put back
    }
}
