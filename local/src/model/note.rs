//! A construct lattice-local does not emulate, reported by name rather than ignored.

/// A construct lattice-local does not emulate, reported by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Logical id (or section name).
    pub resource: String,
    /// What it is (resource type, `Rules`, …).
    pub kind: String,
    /// What lattice-local does about it.
    pub message: String,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.resource, self.kind, self.message)
    }
}
