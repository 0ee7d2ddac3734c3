use sea_orm::entity::prelude::*;

/// One public event in the change log (see `content::changes`): what happened, to what.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Like `article.published`.
    pub event: String,
    /// `article`, `tag`, `category` or `series`.
    pub subject: String,
    pub subject_id: i32,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
