//! The one place service errors become GraphQL errors with `extensions.code`.

use async_graphql::{ErrorExtensions, ServerError};

use crate::content::ContentError;

/// GraphQL names fields in camelCase; the service names them in snake_case.
pub fn camel(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

pub fn to_graphql(err: ContentError) -> async_graphql::Error {
    to_graphql_ref(&err)
}

pub fn to_graphql_ref(err: &ContentError) -> async_graphql::Error {
    let message = err.to_string();
    match err {
        ContentError::Validation(errors) => {
            let message =
                errors.iter().map(|e| format!("{}: {}", camel(&e.field), e.message)).collect::<Vec<_>>().join("; ");
            async_graphql::Error::new(message).extend_with(|_, ext| {
                ext.set("code", "BAD_USER_INPUT");
                let fields: Vec<async_graphql::Value> = errors
                    .iter()
                    .map(|e| {
                        let mut m = async_graphql::indexmap::IndexMap::new();
                        m.insert(async_graphql::Name::new("field"), async_graphql::Value::from(camel(&e.field)));
                        m.insert(async_graphql::Name::new("message"), async_graphql::Value::from(e.message.clone()));
                        async_graphql::Value::Object(m)
                    })
                    .collect();
                ext.set("fields", async_graphql::Value::List(fields));
            })
        }
        ContentError::NotFound(_) => async_graphql::Error::new(message).extend_with(|_, e| e.set("code", "NOT_FOUND")),
        ContentError::Conflict(_) => async_graphql::Error::new(message).extend_with(|_, e| e.set("code", "CONFLICT")),
        ContentError::VersionConflict { current, .. } => {
            let current = *current;
            async_graphql::Error::new(message).extend_with(move |_, e| {
                e.set("code", "CONFLICT");
                e.set("currentVersion", current);
            })
        }
        ContentError::Unauthenticated(_) => {
            async_graphql::Error::new(message).extend_with(|_, e| e.set("code", "UNAUTHENTICATED"))
        }
        ContentError::Forbidden(_) => async_graphql::Error::new(message).extend_with(|_, e| e.set("code", "FORBIDDEN")),
        ContentError::RateLimited { retry_after } => {
            let secs = crate::rate_limit::retry_after_secs(*retry_after);
            async_graphql::Error::new(message).extend_with(move |_, e| {
                e.set("code", "RATE_LIMITED");
                e.set("retryAfter", secs);
            })
        }
        e @ ContentError::Unavailable(_) => {
            tracing::warn!(error = %e, "the database cannot be reached");
            async_graphql::Error::new("the database cannot be reached; try again shortly").extend_with(|_, e| {
                e.set("code", "UNAVAILABLE");
                e.set("retryAfter", crate::content::error::UNAVAILABLE_RETRY_SECS);
            })
        }
        ContentError::Database(e) => {
            tracing::error!(error = %e, "database error");
            async_graphql::Error::new("an internal error occurred; it has been logged")
                .extend_with(|_, e| e.set("code", "INTERNAL_SERVER_ERROR"))
        }
    }
}

/// Gives every field error an `extensions.code`: async-graphql's own argument errors (an
/// `Int` out of range, a malformed `DateTime`) become BAD_USER_INPUT; anything else that
/// arrives without a code is INTERNAL_SERVER_ERROR rather than unlabeled. Errors of a
/// request that never ran (no `path`: parse and validation errors) get codes of their own.
pub fn label_errors(errors: &mut [ServerError]) {
    for err in errors.iter_mut().filter(|e| !e.path.is_empty()) {
        with_code(err);
    }
    label_request_errors(errors);
}

/// Codes for errors of documents that never ran, which async-graphql leaves bare.
fn label_request_errors(errors: &mut [ServerError]) {
    for err in errors.iter_mut().filter(|e| e.path.is_empty()) {
        if err.extensions.as_ref().is_some_and(|e| e.get("code").is_some()) {
            continue;
        }
        let code = if err.message.starts_with("Query is nested too deep") {
            "QUERY_TOO_DEEP"
        } else if err.message.starts_with("Query is too complex") {
            "QUERY_TOO_COMPLEX"
        } else if err.message.starts_with(" --> ") {
            "GRAPHQL_PARSE_FAILED"
        } else {
            "GRAPHQL_VALIDATION_FAILED"
        };
        err.extensions.get_or_insert_with(Default::default).set("code", code);
    }
}

fn with_code(err: &mut ServerError) {
    let has_code = err.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
    if !has_code {
        let code =
            if err.message.starts_with("Failed to parse") || err.message.starts_with("Invalid value for argument") {
                "BAD_USER_INPUT"
            } else {
                tracing::error!(message = %err.message, "GraphQL error without a code");
                "INTERNAL_SERVER_ERROR"
            };
        err.extensions.get_or_insert_with(Default::default).set("code", code);
    }
}

/// `.gql()` on service results inside resolvers.
pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, ContentError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(to_graphql)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn camel_case() {
        assert_eq!(super::camel("series_part"), "seriesPart");
        assert_eq!(super::camel("tags[1]"), "tags[1]");
        assert_eq!(super::camel("title"), "title");
    }
}
