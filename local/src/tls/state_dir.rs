//! [`StateDir`]: where lattice-local keeps what must outlive one run (the local CA, the
//! services' certificates, the trust bundle), how its files are written (whole or not at all;
//! keys readable by their owner only) and the lock that keeps two starts from writing at once.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use super::error::TlsError;

/// The directory's name under `$XDG_STATE_HOME` (or `~/.local/state`).
const APP_DIR: &str = "lattice-local";

/// Whether a file holds a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Secrecy {
    /// Readable by anyone (certificates).
    Public,
    /// Readable and writable by its owner only, mode 0600 (private keys).
    Private,
}

impl Secrecy {
    fn mode(self) -> u32 {
        match self {
            Secrecy::Public => 0o644,
            Secrecy::Private => 0o600,
        }
    }
}

/// The state directory of lattice-local.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateDir {
    path: PathBuf,
}

impl StateDir {
    /// The default location: `$XDG_STATE_HOME/lattice-local`, else
    /// `$HOME/.local/state/lattice-local` (the XDG Base Directory default), read through
    /// `lookup` (the process environment in [`StateDir::default_location`]).
    ///
    /// ```
    /// use lattice_local::tls::StateDir;
    /// let env = |name: &str| (name == "HOME").then(|| "/home/dev".to_owned());
    /// assert_eq!(
    ///     StateDir::default_location_with(env).unwrap(),
    ///     std::path::Path::new("/home/dev/.local/state/lattice-local")
    /// );
    /// ```
    pub fn default_location_with(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<PathBuf, TlsError> {
        // The XDG spec says a relative value is invalid and must be ignored.
        let absolute = |name: &str| {
            lookup(name)
                .map(PathBuf::from)
                .filter(|path| path.is_absolute())
        };
        if let Some(state) = absolute("XDG_STATE_HOME") {
            return Ok(state.join(APP_DIR));
        }
        absolute("HOME")
            .map(|home| home.join(".local").join("state").join(APP_DIR))
            .ok_or(TlsError::NoStateDir)
    }

    /// [`StateDir::default_location_with`] the process environment.
    pub fn default_location() -> Result<PathBuf, TlsError> {
        Self::default_location_with(|name| std::env::var(name).ok())
    }

    /// Opens `path`, creating it (mode 0700: it holds private keys) if it does not exist.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, TlsError> {
        let path = path.into();
        create_private_dir(&path)?;
        Ok(StateDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A subdirectory, created (mode 0700) if missing.
    pub(crate) fn subdir(&self, name: &str) -> Result<PathBuf, TlsError> {
        let path = self.path.join(name);
        create_private_dir(&path)?;
        Ok(path)
    }

    /// Holds an exclusive lock on the directory until the guard is dropped: two lattice-local
    /// processes starting at once must not both create a CA, or both rewrite a certificate.
    pub(crate) fn lock(&self) -> Result<StateLock, TlsError> {
        let path = self.path.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|source| TlsError::Write {
                path: path.clone(),
                source,
            })?;
        file.lock()
            .map_err(|source| TlsError::Write { path, source })?;
        Ok(StateLock(file))
    }
}

/// An exclusive lock on a state directory; released when dropped (or when the process ends).
#[derive(Debug)]
pub(crate) struct StateLock(File);

impl Drop for StateLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

fn create_private_dir(path: &Path) -> Result<(), TlsError> {
    let error = |source| TlsError::StateDir {
        path: path.to_owned(),
        source,
    };
    if path.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(path).map_err(error)?;
    // Only directories made here are narrowed: an existing one is the user's to set.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(error)
}

/// Reads a whole file.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Writes `contents` to `path` whole or not at all (a temporary file in the same directory,
/// created with the mode of `secrecy`, then renamed over `path`): a reader never sees half a
/// key, and a key is never readable by others, not even for a moment.
pub(crate) fn write_file(path: &Path, contents: &[u8], secrecy: Secrecy) -> Result<(), TlsError> {
    let error = |source| TlsError::Write {
        path: path.to_owned(),
        source,
    };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp-{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(secrecy.mode())
        .open(&temporary)
        .map_err(error)?;
    let written = file
        .write_all(contents)
        .and_then(|()| file.sync_all())
        // The umask may have narrowed a public file; set the mode the file is meant to have.
        .and_then(|()| file.set_permissions(std::fs::Permissions::from_mode(secrecy.mode())))
        .and_then(|()| std::fs::rename(&temporary, path));
    if let Err(source) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error(source));
    }
    Ok(())
}

/// Makes an existing private file readable by its owner only again, saying so: a key that
/// others could read may have been copied.
pub(crate) fn keep_private(path: &Path) -> Result<(), TlsError> {
    let metadata = std::fs::metadata(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })?;
    if metadata.permissions().mode() & 0o077 != 0 {
        tracing::warn!(
            path = %path.display(),
            mode = format!("{:o}", metadata.permissions().mode() & 0o777),
            "a private key was readable by others; its mode is now 0600"
        );
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
            |source| TlsError::Write {
                path: path.to_owned(),
                source,
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("lattice-local-state-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        path
    }

    #[test]
    fn the_default_location_follows_xdg_then_home_and_ignores_relative_values() {
        let lookup = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(
            StateDir::default_location_with(lookup(&[("XDG_STATE_HOME", "/s"), ("HOME", "/h")]))
                .unwrap(),
            Path::new("/s/lattice-local")
        );
        assert_eq!(
            StateDir::default_location_with(lookup(&[
                ("XDG_STATE_HOME", "relative"),
                ("HOME", "/h")
            ]))
            .unwrap(),
            Path::new("/h/.local/state/lattice-local")
        );
        assert!(matches!(
            StateDir::default_location_with(lookup(&[])),
            Err(TlsError::NoStateDir)
        ));
    }

    #[test]
    fn keys_are_written_owner_only_and_directories_made_here_are_private() {
        let root = temp_dir("modes");
        let state = StateDir::open(root.join("nested")).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(state.path()), 0o700);
        let key = state.path().join("key.pem");
        let cert = state.path().join("cert.pem");
        write_file(&key, b"secret", Secrecy::Private).unwrap();
        write_file(&cert, b"public", Secrecy::Public).unwrap();
        assert_eq!(mode(&key), 0o600);
        assert_eq!(mode(&cert), 0o644);
        // Rewriting replaces the content whole and leaves no temporary file behind.
        write_file(&key, b"secret 2", Secrecy::Private).unwrap();
        assert_eq!(std::fs::read(&key).unwrap(), b"secret 2");
        assert_eq!(std::fs::read_dir(state.path()).unwrap().count(), 2);
        // A key someone made readable is narrowed again.
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        keep_private(&key).unwrap();
        assert_eq!(mode(&key), 0o600);
        let _ = std::fs::remove_dir_all(root);
    }
}
