//! Finding (and building) workspace binaries and examples from inside a test, in the profile,
//! target directory and target triple the running test was built with.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock, PoisonError};

/// Where the running test executable's build output lives.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BuildLayout {
    /// The `--target-dir` (the folder holding `CACHEDIR.TAG`).
    target_dir: PathBuf,
    /// `--target <triple>` when cross-building.
    triple: Option<String>,
    /// The profile's output folder name (`debug`, `release` or a custom profile name).
    profile_dir: String,
    /// The folder binaries land in.
    bin_dir: PathBuf,
}

impl BuildLayout {
    /// Tests run from `<target>/[<triple>/]<profile>/deps/<test-exe>`.
    fn of_test_executable(exe: &Path) -> Option<Self> {
        let bin_dir = exe.parent()?.parent()?.to_path_buf();
        let profile_dir = bin_dir.file_name()?.to_str()?.to_owned();
        let above = bin_dir.parent()?;
        let (target_dir, triple) = if above.join("CACHEDIR.TAG").exists() {
            (above.to_path_buf(), None)
        } else {
            let triple = above.file_name()?.to_str()?.to_owned();
            (above.parent()?.to_path_buf(), Some(triple))
        };
        Some(Self {
            target_dir,
            triple,
            profile_dir,
            bin_dir,
        })
    }

    /// The `cargo build` arguments that select this profile and target.
    fn cargo_args(&self) -> Vec<String> {
        let mut args = vec![
            "--target-dir".to_owned(),
            self.target_dir.display().to_string(),
        ];
        match self.profile_dir.as_str() {
            "debug" => {}
            "release" => args.push("--release".to_owned()),
            custom => args.extend(["--profile".to_owned(), custom.to_owned()]),
        }
        if let Some(triple) = &self.triple {
            args.extend(["--target".to_owned(), triple.clone()]);
        }
        args
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// What kind of cargo target to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Artifact {
    /// `--bin <name>`, landing in the profile folder.
    Bin,
    /// `--example <name>`, landing in the profile's `examples/` folder.
    Example,
}

impl Artifact {
    fn flag(self) -> &'static str {
        match self {
            Artifact::Bin => "--bin",
            Artifact::Example => "--example",
        }
    }

    fn path(self, layout: &BuildLayout, name: &str) -> PathBuf {
        let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
        match self {
            Artifact::Bin => layout.bin_dir.join(file),
            Artifact::Example => layout.bin_dir.join("examples").join(file),
        }
    }
}

/// Path of a workspace binary, built on first use with `cargo build -p <package> --bin
/// <bin>` (same profile and target directory as the running test), once per test process.
///
/// # Panics
/// If the build fails (with cargo's output) or the binary is not where cargo puts it.
pub fn workspace_binary(package: &str, bin: &str) -> PathBuf {
    build(package, Artifact::Bin, bin)
}

/// Path of a workspace example, built on first use with `cargo build -p <package> --example
/// <example>` (same profile and target directory as the running test), once per test process.
///
/// # Panics
/// If the build fails (with cargo's output) or the example is not where cargo puts it.
pub fn workspace_example(package: &str, example: &str) -> PathBuf {
    build(package, Artifact::Example, example)
}

/// What this test process has built: (package, kind, name) -> path.
type Built = HashMap<(String, Artifact, String), PathBuf>;

fn build(package: &str, artifact: Artifact, name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<Built>> = OnceLock::new();
    // Held across the build: concurrent tests wait for one build instead of racing cargo.
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let key = (package.to_owned(), artifact, name.to_owned());
    if let Some(path) = built.get(&key) {
        return path.clone();
    }

    let exe = std::env::current_exe()
        .unwrap_or_else(|e| panic!("cannot locate the test executable: {e}"));
    let layout = BuildLayout::of_test_executable(&exe)
        .unwrap_or_else(|| panic!("{} is not inside a cargo target directory", exe.display()));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let flag = artifact.flag();
    let output = Command::new(&cargo)
        .current_dir(workspace_root())
        .args(["build", "-p", package, flag, name])
        .args(layout.cargo_args())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", Path::new(&cargo).display()));
    if !output.status.success() {
        panic!(
            "cargo build -p {package} {flag} {name} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let path = artifact.path(&layout, name);
    assert!(
        path.is_file(),
        "cargo built {name} but {} does not exist",
        path.display()
    );
    built.insert(key, path.clone());
    path
}

/// The `test-function` fixture (see `src/bin/test-function.rs`), built if needed.
pub fn test_function() -> PathBuf {
    workspace_binary("lattice-tests", "test-function")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_of_a_native_build() {
        let dir = std::env::temp_dir().join(format!("layout-native-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("debug/deps")).expect("dirs");
        std::fs::write(dir.join("CACHEDIR.TAG"), "").expect("tag");
        let layout =
            BuildLayout::of_test_executable(&dir.join("debug/deps/t-123")).expect("layout");
        assert_eq!(layout.target_dir, dir);
        assert_eq!(layout.triple, None);
        assert_eq!(layout.bin_dir, dir.join("debug"));
        assert_eq!(
            layout.cargo_args(),
            ["--target-dir".to_owned(), dir.display().to_string()]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn layout_of_a_cross_build_with_a_custom_profile() {
        let dir = std::env::temp_dir().join(format!("layout-cross-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("aarch64-unknown-linux-gnu/bench-fast/deps"))
            .expect("dirs");
        std::fs::write(dir.join("CACHEDIR.TAG"), "").expect("tag");
        let exe = dir.join("aarch64-unknown-linux-gnu/bench-fast/deps/t-123");
        let layout = BuildLayout::of_test_executable(&exe).expect("layout");
        assert_eq!(layout.target_dir, dir);
        assert_eq!(layout.triple.as_deref(), Some("aarch64-unknown-linux-gnu"));
        assert_eq!(
            layout.cargo_args()[2..],
            [
                "--profile",
                "bench-fast",
                "--target",
                "aarch64-unknown-linux-gnu"
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
