use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "articles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    pub custom_excerpt: Option<String>,
    pub excerpt: String,
    pub body: String,
    pub html: String,
    pub plain_text: String,
    pub word_count: i32,
    pub reading_minutes: i32,
    pub status: String,
    pub published_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub author_id: Option<i32>,
    pub category_id: Option<i32>,
    pub series_id: Option<i32>,
    pub series_part: Option<i32>,
    pub cover_image_url: Option<String>,
    pub canonical_url: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub version: i32,
    /// Computed by the database (migration 0008): `published_at` while readers may list the
    /// article, NULL otherwise. Never written; leave it `NotSet`.
    pub listed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::article_tag::Entity")]
    ArticleTag,
}

impl Related<super::article_tag::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ArticleTag.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
