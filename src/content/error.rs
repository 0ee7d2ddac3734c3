//! The one error type of the service layer. Transports map it once each:
//! `rest::problem` to problem+json, `graphql::error` to `extensions.code`.

use thiserror::Error;

/// One problem with one input field, named as the client sent it (snake_case; the GraphQL
/// face renames to camelCase).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, Error)]
pub enum ContentError {
    #[error("invalid input: {}", summary(.0))]
    Validation(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("version conflict: the article is at version {current}, not {}", describe_expected(*.expected))]
    VersionConflict { expected: i32, current: i32 },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts from one client; `retry_after` is when the next is allowed.
    #[error("too many attempts; try again in {} s", crate::rate_limit::retry_after_secs(*.retry_after))]
    RateLimited { retry_after: std::time::Duration },
    /// The database could not be reached (down, restarting, refusing connections, the pool
    /// exhausted past its wait): the request may work shortly, so the faces answer 503 with
    /// `Retry-After`, not 500. Sorted from `Database` once, where a `DbErr` becomes ours.
    #[error("the database cannot be reached: {0}")]
    Unavailable(sea_orm::DbErr),
    #[error("database error: {0}")]
    Database(sea_orm::DbErr),
}

impl From<sea_orm::DbErr> for ContentError {
    fn from(err: sea_orm::DbErr) -> Self {
        if unreachable(&err) { Self::Unavailable(err) } else { Self::Database(err) }
    }
}

/// Whether a database error says the database could not be reached, rather than that the
/// statement failed.
fn unreachable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    let sqlx_err = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    match sqlx_err.as_ref() {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL: connection exceptions (08…), the server shutting down or refusing
        // connections (57P01–57P03), a database not accepting connections (55000).
        sqlx::Error::Database(e) => {
            e.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P") || c == "55000")
        }
        _ => false,
    }
}

fn describe_expected(expected: i32) -> String {
    match expected {
        super::model::NO_VERSION => "one the precondition names".into(),
        v => v.to_string(),
    }
}

fn summary(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

impl ContentError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// A unique index refused the write: another writer got there first. The database is
    /// the arbiter of uniqueness, so this is a conflict, not a server error.
    pub fn from_db(err: sea_orm::DbErr, conflict: impl FnOnce() -> String) -> Self {
        match err.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Self::Conflict(conflict()),
            _ => err.into(),
        }
    }
}

pub type Result<T, E = ContentError> = std::result::Result<T, E>;

/// When to try again after the database could not be reached (`Retry-After`, seconds).
pub const UNAVAILABLE_RETRY_SECS: u32 = 2;
