//! Reads a whole template into a [`Topology`]: its sections, the parameters, each enabled
//! resource by its kind's module, then the links between them. Resource types with no
//! local meaning, or not supported, become notes by name.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::error::TemplateError;
use super::intrinsics::{Evaluator, Sections};
use super::link::{self, ServiceParts};
use super::parameters::{check_rules, resolve_parameters};
use super::resource::Resource;
use super::{
    LoadOptions, association, auth_policy, function, listener, listener_rule, service,
    service_network, target_group,
};
use crate::model::{LocalAccount, Topology};

/// Resource types that have no local effect: noted by name, then skipped.
const NO_LOCAL_EFFECT: [&str; 5] = [
    "AWS::VpcLattice::ServiceNetworkVpcAssociation",
    "AWS::EC2::SecurityGroup",
    "AWS::Lambda::Permission",
    "AWS::IAM::Role",
    "AWS::Logs::LogGroup",
];

fn section<'t>(
    template: &'t Json,
    name: &'static str,
) -> Result<Option<&'t Map<String, Json>>, TemplateError> {
    match template.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Object(map)) => Ok(Some(map)),
        Some(other) => Err(TemplateError::BadSection {
            section: name,
            message: format!("expected a mapping, got {other}"),
        }),
    }
}

/// Reads `template` (already normalised to long-form JSON).
pub(crate) fn read(template: &Json, options: &LoadOptions) -> Result<Topology, TemplateError> {
    let empty = Map::new();
    let resources = section(template, "Resources")?.ok_or(TemplateError::BadSection {
        section: "Resources",
        message: "missing".into(),
    })?;
    let declared = section(template, "Parameters")?.unwrap_or(&empty);
    let (parameters, missing) = resolve_parameters(declared, &options.parameters)?;
    let sections = Sections {
        conditions: section(template, "Conditions")?.unwrap_or(&empty),
        mappings: section(template, "Mappings")?.unwrap_or(&empty),
        resources,
    };
    let eval = Evaluator::new(
        parameters.clone(),
        missing,
        sections,
        LocalAccount::new(options.region.clone()),
    );
    let globals = template.get("Globals").and_then(|g| g.get("Function"));

    let mut notes = Vec::new();
    if let Some(rules) = section(template, "Rules")? {
        check_rules(rules, &eval, &mut notes);
    }
    let mut services = Vec::new();
    let mut networks = Vec::new();
    let mut parts = ServiceParts::default();
    let mut target_groups = BTreeMap::new();
    let mut functions = BTreeMap::new();
    for (logical_id, body) in resources {
        let resource = Resource::new(logical_id, body);
        if !enabled(&resource, &eval)? {
            continue;
        }
        match resource.kind {
            "AWS::VpcLattice::Service" => {
                services.push(service::read(&resource, &eval, &mut notes)?);
            }
            "AWS::VpcLattice::Listener" => parts.listeners.push(listener::read(&resource, &eval)?),
            "AWS::VpcLattice::Rule" => parts.rules.push(listener_rule::read(&resource, &eval)?),
            "AWS::VpcLattice::AuthPolicy" => {
                parts.policies.push(auth_policy::read(&resource, &eval)?);
            }
            "AWS::VpcLattice::ServiceNetworkServiceAssociation" => {
                parts.associations.push(association::read(&resource, &eval)?);
            }
            "AWS::VpcLattice::TargetGroup" => {
                if let Some(group) = target_group::read(&resource, &eval, &mut notes)? {
                    target_groups.insert(logical_id.clone(), group);
                }
            }
            "AWS::Serverless::Function" => {
                if let Some(f) = function::read(&resource, &eval, globals, &mut notes)? {
                    functions.insert(logical_id.clone(), f);
                }
            }
            "AWS::VpcLattice::ServiceNetwork" => {
                networks.push(service_network::read(&resource, &eval, &mut notes)?);
            }
            kind if NO_LOCAL_EFFECT.contains(&kind) => {
                notes.push(resource.note("no local effect (not emulated)"));
            }
            "AWS::Lambda::Function" => notes.push(resource.note(
                "not run locally: only AWS::Serverless::Function with BuildMethod rust-cargolambda maps to a workspace binary",
            )),
            _ => notes.push(resource.note("unsupported resource type, ignored by lattice-local")),
        }
    }

    link::lambda_targets(&mut target_groups, &functions, &mut notes);
    link::attach(&mut services, parts, eval.account(), &mut notes)?;
    link::resolve_actions(&mut services, &target_groups)?;
    Ok(Topology {
        account: eval.account().clone(),
        services,
        service_networks: networks,
        target_groups,
        functions,
        parameters,
        notes,
    })
}

/// Whether the resource's `Condition:` (if any) holds.
fn enabled(resource: &Resource<'_>, eval: &Evaluator<'_>) -> Result<bool, TemplateError> {
    match resource.condition() {
        None => Ok(true),
        Some(condition) => eval
            .condition(condition)
            .map_err(|source| TemplateError::Eval {
                location: format!("Resources.{}.Condition", resource.logical_id),
                source,
            }),
    }
}
