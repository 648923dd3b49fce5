//! `AWS::Serverless::Function` -> [`Function`]: functions built with cargo-lambda
//! (`Metadata.BuildMethod: rust-cargolambda`) run locally as the workspace binary named by
//! `Metadata.BuildProperties.Binary`; `Globals.Function` supplies defaults for the
//! environment, `Timeout` and `MemorySize`. Other functions are noted and not run.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value as Json;

use super::error::TemplateError;
use super::intrinsics::Evaluator;
use super::properties::{self, Origin};
use super::resource::Resource;
use crate::model::{Function, Note};

/// The function properties lattice-local uses, read the same way from a function's
/// `Properties` and from `Globals.Function`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FunctionProperties {
    environment: Option<Environment>,
    timeout: Option<u64>,
    memory_size: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Environment {
    #[serde(default)]
    variables: BTreeMap<String, String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FunctionMetadata {
    build_method: Option<String>,
    build_properties: Option<BuildProperties>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BuildProperties {
    binary: Option<String>,
}

/// Lambda's defaults.
const DEFAULT_TIMEOUT_SECONDS: u64 = 3;
const DEFAULT_MEMORY_MB: u32 = 128;

/// Reads a function; `None` (with a note) when it is not built with cargo-lambda.
pub(crate) fn read(
    resource: &Resource<'_>,
    eval: &Evaluator<'_>,
    globals: Option<&Json>,
    notes: &mut Vec<Note>,
) -> Result<Option<Function>, TemplateError> {
    let metadata = match resource.metadata() {
        None => FunctionMetadata::default(),
        Some(raw) => FunctionMetadata::deserialize(raw)
            .map_err(|e| resource.invalid("Metadata", e.to_string()))?,
    };
    if metadata.build_method.as_deref() != Some("rust-cargolambda") {
        notes.push(resource.note(format!(
            "not run locally: BuildMethod is {}, not rust-cargolambda",
            metadata.build_method.as_deref().unwrap_or("unset")
        )));
        return Ok(None);
    }
    let binary = metadata
        .build_properties
        .and_then(|p| p.binary)
        .unwrap_or_else(|| resource.logical_id.to_owned());
    let name = resource.function_name(eval)?;
    let global: FunctionProperties = properties::read(eval, Origin::GlobalFunction, globals)?;
    let own: FunctionProperties = resource.properties(eval)?;
    if resource.has_property("VpcConfig") {
        notes.push(resource.note("VpcConfig has no local effect"));
    }
    // The function's own variables override the global ones of the same name.
    let mut env: Vec<(String, String)> = Vec::new();
    for (name, value) in [global.environment.as_ref(), own.environment.as_ref()]
        .into_iter()
        .flatten()
        .flat_map(|e| &e.variables)
    {
        env.retain(|(n, _)| n != name);
        env.push((name.clone(), value.clone()));
    }
    let timeout = own
        .timeout
        .or(global.timeout)
        .unwrap_or(DEFAULT_TIMEOUT_SECONDS);
    Ok(Some(Function {
        logical_id: resource.logical_id.to_owned(),
        arn: eval.account().function_arn(&name),
        name,
        binary,
        env,
        timeout: Duration::from_secs(timeout),
        memory_mb: own
            .memory_size
            .or(global.memory_size)
            .unwrap_or(DEFAULT_MEMORY_MB),
    }))
}
