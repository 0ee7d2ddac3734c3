use sea_orm::entity::prelude::*;

/// One write readers can see, as the cache keys it changed (see `content::purges`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purges")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Space-separated keys, like `article-12 tag-3 articles`; `*` is everything.
    #[sea_orm(column_type = "Text")]
    pub keys: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
