use sea_orm::entity::prelude::*;

/// An endpoint that receives events (see `content::webhooks`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub url: String,
    /// Comma-separated filters: `article.published`, `tag.*`, `*`.
    pub events: String,
    /// `whsec_` + base64 of the signing key. Shown to the admin once, at creation.
    pub secret: String,
    pub active: bool,
    pub description: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
