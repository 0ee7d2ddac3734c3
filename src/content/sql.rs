//! Raw SQL for the few reads sea-query does not express well (window functions over
//! groups, full-text search), with placeholders in each backend's style.

use sea_orm::{DbBackend, Statement, Value};

pub struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(backend: DbBackend) -> Self {
        Self { backend, text: String::new(), values: Vec::new() }
    }

    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Appends a placeholder bound to `v`.
    pub fn bind(&mut self, v: impl Into<Value>) -> &mut Self {
        self.values.push(v.into());
        match self.backend {
            DbBackend::Postgres => {
                let n = self.values.len();
                self.text.push_str(&format!("${n}"));
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// `(?, ?, …)` for a list of values.
    pub fn bind_list<V: Into<Value>>(&mut self, vs: impl IntoIterator<Item = V>) -> &mut Self {
        self.push("(");
        for (i, v) in vs.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self.push(")")
    }

    pub fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// The predicate that decides what anonymous readers see, on an `articles` alias: the
/// database keeps `listed_at` (live, published or scheduled: the publication time; else
/// NULL), so "visible now" is one indexed range.
pub fn push_visible(sql: &mut Sql, alias: &str, now: chrono::DateTime<chrono::Utc>) {
    sql.push(&format!("{alias}.listed_at <= "));
    sql.bind(now);
}
