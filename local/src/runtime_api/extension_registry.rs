//! The extensions registered with one instance, and whether each has had its `SHUTDOWN`
//! event. A leaf module: the instance's shared state holds it and the Extensions API
//! endpoints change it.

use std::collections::HashMap;

/// An extension registered with one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredExtension {
    /// The `Lambda-Extension-Identifier` it was given.
    pub id: String,
    /// The `Lambda-Extension-Name` it registered with.
    pub name: String,
    /// The events it subscribed to (`INVOKE`, `SHUTDOWN`).
    pub events: Vec<String>,
}

/// Registered extensions by identifier.
#[derive(Debug, Default)]
pub(crate) struct ExtensionRegistry {
    by_id: HashMap<String, Entry>,
}

#[derive(Debug)]
struct Entry {
    extension: RegisteredExtension,
    shutdown_delivered: bool,
}

/// An extension of this name is registered already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NameTaken;

impl ExtensionRegistry {
    /// Every registered extension.
    pub(crate) fn list(&self) -> Vec<RegisteredExtension> {
        self.by_id.values().map(|e| e.extension.clone()).collect()
    }

    /// Registers `extension` under its id, unless its name is taken.
    pub(crate) fn register(&mut self, extension: RegisteredExtension) -> Result<(), NameTaken> {
        if self
            .by_id
            .values()
            .any(|e| e.extension.name == extension.name)
        {
            return Err(NameTaken);
        }
        self.by_id.insert(
            extension.id.clone(),
            Entry {
                extension,
                shutdown_delivered: false,
            },
        );
        Ok(())
    }

    /// Whether `id` was handed out by [`register`](Self::register).
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Marks the `SHUTDOWN` event as delivered to `id`; `true` only the first time.
    pub(crate) fn first_shutdown_delivery(&mut self, id: &str) -> bool {
        self.by_id
            .get_mut(id)
            .is_some_and(|entry| !std::mem::replace(&mut entry.shutdown_delivered, true))
    }
}
