//! [`Workspace`]: where lattice-local was built from, how to build the template's function
//! binaries with the same profile, and where they land.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::error::UpError;

/// Where the workspace is and where its binaries are built.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// The workspace root (holds the root `Cargo.toml` and `template.yaml`).
    pub root: PathBuf,
    /// The directory binaries of this profile land in (`target/release`).
    pub bin_dir: PathBuf,
    /// Whether binaries are built with `--release`.
    pub release: bool,
}

impl Workspace {
    /// The workspace lattice-local was built from, and the profile directory
    /// it runs from (so functions are built with the same profile, beside it).
    pub fn locate() -> Result<Self, UpError> {
        let exe = std::env::current_exe()
            .map_err(|e| UpError::Workspace(format!("cannot find the running executable: {e}")))?;
        let mut bin_dir = exe
            .parent()
            .ok_or_else(|| UpError::Workspace("the executable has no directory".into()))?
            .to_owned();
        // Test binaries live in `target/<profile>/deps`.
        if bin_dir.file_name().is_some_and(|n| n == "deps") {
            bin_dir.pop();
        }
        let compiled_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let root = if compiled_root.join("Cargo.toml").is_file() {
            compiled_root
        } else {
            // Copied elsewhere: assume `<root>/target/<profile>/lattice-local`.
            bin_dir
                .parent()
                .and_then(Path::parent)
                .map(Path::to_owned)
                .filter(|r| r.join("Cargo.toml").is_file())
                .ok_or_else(|| {
                    UpError::Workspace(format!(
                        "no Cargo.toml at {} or above {}",
                        compiled_root.display(),
                        bin_dir.display()
                    ))
                })?
        };
        let root = std::fs::canonicalize(&root).unwrap_or(root);
        Ok(Workspace {
            root,
            bin_dir,
            release: !cfg!(debug_assertions),
        })
    }

    /// `cargo build [--release] --bin a --bin b` in the workspace root.
    pub fn build_command(&self, binaries: &[&str]) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command.current_dir(&self.root).arg("build");
        if self.release {
            command.arg("--release");
        }
        for binary in binaries {
            command.args(["--bin", binary]);
        }
        command
    }

    /// Runs [`Workspace::build_command`], printing it first.
    pub fn build(&self, binaries: &[&str]) -> Result<(), UpError> {
        let mut command = self.build_command(binaries);
        let line = describe(&command);
        println!("    $ {line}");
        let status = command.status().map_err(|source| UpError::BuildSpawn {
            command: line.clone(),
            source,
        })?;
        if !status.success() {
            return Err(UpError::Build {
                command: line,
                status,
            });
        }
        Ok(())
    }

    /// Where binary `name` is built.
    pub fn binary(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// The project's `template.yaml`.
    pub fn template(&self) -> PathBuf {
        self.root.join("template.yaml")
    }

    /// The demo principal's credentials file.
    pub fn demo_credentials(&self) -> PathBuf {
        self.root.join("local/demo/credentials.json")
    }
}

fn describe(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_is_found_with_its_template_and_demo_credentials() {
        let workspace = Workspace::locate().unwrap();
        assert!(workspace.template().is_file());
        assert!(workspace.demo_credentials().is_file());
        let command = describe(&workspace.build_command(&["provider", "eks-client"]));
        assert!(
            command.ends_with("build --bin provider --bin eks-client"),
            "{command}"
        );
    }
}
