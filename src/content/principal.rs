//! Who is asking. Built by the transports from a verified token; the service decides what
//! each role may do, so both faces enforce the same rules.

use super::{ContentError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Author,
    Editor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Author => "author",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "author" => Some(Role::Author),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub role: Role,
}

/// The caller of a service function: nobody, or a verified principal.
#[derive(Debug, Clone, Default)]
pub struct Viewer(pub Option<Principal>);

impl Viewer {
    pub fn anonymous() -> Self {
        Viewer(None)
    }

    pub fn principal(&self) -> Option<&Principal> {
        self.0.as_ref()
    }

    /// Editors and admins see every state of every article.
    pub fn sees_unpublished(&self) -> bool {
        matches!(self.0, Some(Principal { role: Role::Editor | Role::Admin, .. }))
    }

    /// Site settings (and, later, users and webhooks).
    pub fn require_admin(&self) -> Result<&Principal> {
        match &self.0 {
            None => Err(ContentError::Unauthenticated("a bearer token is required for this operation".into())),
            Some(p) if p.role == Role::Admin => Ok(p),
            Some(p) => Err(ContentError::Forbidden(format!("the {} role cannot do this; admin required", p.role))),
        }
    }

    /// Anyone with a role: authors write their own drafts (the article commands check
    /// ownership), editors and admins everything.
    pub fn require_writer(&self) -> Result<&Principal> {
        self.0
            .as_ref()
            .ok_or_else(|| ContentError::Unauthenticated("a bearer token is required for this operation".into()))
    }

    pub fn is_author(&self) -> bool {
        matches!(self.0, Some(Principal { role: Role::Author, .. }))
    }

    /// Editors and admins: publishing, other people's articles, taxonomy.
    pub fn require_editor(&self) -> Result<&Principal> {
        match &self.0 {
            None => Err(ContentError::Unauthenticated("a bearer token is required for this operation".into())),
            Some(p) if p.role >= Role::Editor => Ok(p),
            Some(p) => {
                Err(ContentError::Forbidden(format!("the {} role cannot do this; editor or admin required", p.role)))
            }
        }
    }
}
