//! SeaORM entities, one module per table. Relations are spelled out only where the service
//! layer joins through them; batched loads use plain `is_in` filters.

pub mod article;
pub mod article_revision;
pub mod article_slug_history;
pub mod article_tag;
pub mod audit_entry;
pub mod category;
pub mod event;
pub mod purge;
pub mod refresh_token;
pub mod series;
pub mod site_setting;
pub mod tag;
pub mod tag_slug_history;
pub mod user;
pub mod webhook;
pub mod webhook_delivery;
