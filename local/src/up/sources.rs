//! What `up` and the demo serve: the template, the Gateway API manifests of `--k8s DIR`, or
//! both joined into one topology (the template's Lambda side and network, the manifests' EKS
//! side), with what each contains that is not emulated printed by name.

use std::path::{Path, PathBuf};

use super::error::UpError;
use crate::k8s::{ManifestTopology, Manifests, MapOptions};
use crate::model::{Note, Topology};
use crate::template::LoadOptions;

/// The topology to serve and where it came from.
#[derive(Clone, Debug)]
pub struct Sources {
    /// The template's topology with the manifests' joined into it, or either alone.
    pub topology: Topology,
    /// The template, if one was read.
    pub template: Option<PathBuf>,
    /// The manifest directory and its mapping, if one was read.
    pub manifests: Option<(PathBuf, ManifestTopology)>,
}

impl Sources {
    /// Reads `template` and/or the manifests of `k8s`, prints their notes, and joins them.
    /// `client_principal` is the principal the functions sign as: the manifests' client-role
    /// placeholder stands for its role.
    pub fn load(
        template: Option<&Path>,
        k8s: Option<&Path>,
        load: &LoadOptions,
        client_principal: Option<&str>,
    ) -> Result<Self, UpError> {
        let manifests = k8s
            .map(|dir| {
                let mapped = map_manifests(dir, &load.region, client_principal)?;
                Ok::<_, UpError>((dir.to_owned(), mapped))
            })
            .transpose()?;
        let template = template
            .map(|path| Ok::<_, UpError>((path.to_owned(), Topology::load(path, load)?)))
            .transpose()?;
        Sources::join(template, manifests)
    }

    /// Joins an already read template (path and topology) and manifest mapping (directory and
    /// mapping), printing their notes.
    pub fn join(
        template: Option<(PathBuf, Topology)>,
        manifests: Option<(PathBuf, ManifestTopology)>,
    ) -> Result<Self, UpError> {
        if let Some((_, topology)) = &template {
            print_notes("the template", &topology.notes);
        }
        if let Some((dir, mapped)) = &manifests {
            print_notes(
                &format!("the manifests in {}", dir.display()),
                &mapped.topology.notes,
            );
        }
        let (template, topology) = match (template, &manifests) {
            (Some((path, topology)), Some((_, mapped))) => {
                let joined = mapped.join_into(topology, &path)?;
                (Some(path), joined)
            }
            (Some((path, topology)), None) => (Some(path), topology),
            (None, Some((_, mapped))) => (None, mapped.topology.clone()),
            (None, None) => return Err(UpError::NothingToServe),
        };
        Ok(Sources {
            topology,
            template,
            manifests,
        })
    }

    /// What is served, for the start-up banner: `template.yaml and k8s/`.
    pub fn describe(&self) -> String {
        let template = self.template.as_ref().map(|t| t.display().to_string());
        let manifests = self
            .manifests
            .as_ref()
            .map(|(d, _)| d.display().to_string());
        match (template, manifests) {
            (Some(t), Some(m)) => format!("{t} and {m}"),
            (Some(one), None) | (None, Some(one)) => one,
            (None, None) => String::new(),
        }
    }
}

/// Reads the manifests of `dir` as `kubectl apply -f DIR` does and maps them in `region`, with
/// the client-role placeholder standing for `client_principal`'s role (the local client role
/// when there is none).
pub fn map_manifests(
    dir: &Path,
    region: &str,
    client_principal: Option<&str>,
) -> Result<ManifestTopology, UpError> {
    let manifests = Manifests::load_dir(dir)?;
    let mut options = MapOptions::new(region);
    if let Some(principal) = client_principal {
        options = options.with_client_principal(principal);
    }
    Ok(manifests.to_topology(&options)?)
}

/// Prints what `origin` contains that lattice-local does not emulate.
pub fn print_notes(origin: &str, notes: &[Note]) {
    if notes.is_empty() {
        return;
    }
    println!("not emulated (from {origin}):");
    for note in notes {
        println!("  - {note}");
    }
}
