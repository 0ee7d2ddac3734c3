//! Accounts as the content service needs them: the author row behind a token's subject.

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{Principal, Result};
use crate::entities::user;

/// The user a verified token speaks for, created on first write. Tokens are stateless, so a
/// subject we have never seen is a new author, named after the subject until they say more
/// (an identity provider's subject, `ISSUER SUB`, after its `SUB`).
pub async fn ensure_user(db: &impl ConnectionTrait, principal: &Principal) -> Result<user::Model> {
    let now = super::now();
    let name = principal.subject.split_once(' ').map_or(principal.subject.as_str(), |(_, sub)| sub);
    user::Entity::insert(user::ActiveModel {
        subject: Set(principal.subject.clone()),
        display_name: Set(name.to_string()),
        role: Set(principal.role.as_str().to_string()),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([user::Column::Subject])
    .exec_without_returning(db)
    .await?;
    Ok(user::Entity::find()
        .filter(user::Column::Subject.eq(&principal.subject))
        .one(db)
        .await?
        .expect("user exists after upsert"))
}

pub async fn find_user(db: &impl ConnectionTrait, subject: &str) -> Result<Option<user::Model>> {
    Ok(user::Entity::find().filter(user::Column::Subject.eq(subject)).one(db).await?)
}
