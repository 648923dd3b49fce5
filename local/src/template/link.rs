//! Links what the resources read separately: listeners, rules, auth policies and network
//! associations onto their services and networks; rule and listener actions to target groups
//! (by logical id); Lambda target groups to the template's functions.

use std::collections::BTreeMap;

use super::association::ServiceAssociation;
use super::auth_policy::ResourcePolicy;
use super::error::TemplateError;
use super::listener::ServiceListener;
use super::listener_rule::ListenerRule;
use crate::model::{
    Action, Function, LocalAccount, Note, Service, ServiceNetwork, TargetGroup, TargetKind,
    local_id,
};
use lattice_lambda::AuthType;

/// Everything read from `Resources` that hangs off a service.
#[derive(Default)]
pub(crate) struct ServiceParts {
    pub(crate) listeners: Vec<ServiceListener>,
    pub(crate) rules: Vec<ListenerRule>,
    pub(crate) policies: Vec<ResourcePolicy>,
    pub(crate) associations: Vec<ServiceAssociation>,
}

/// Lattice's default quota of listeners per service ("Listeners per service: 2", adjustable;
/// User Guide, *Quotas*).
const MAX_LISTENERS_BY_DEFAULT: usize = 2;

/// Whether an identifier (ARN, or id such as `svc-…`) names the resource with `arn`.
fn identifies(identifier: &str, arn: &str) -> bool {
    identifier == arn || arn.rsplit('/').next() == Some(identifier)
}

fn find_service(services: &[Service], identifier: &str) -> Option<usize> {
    services
        .iter()
        .position(|s| identifies(identifier, &s.arn) || s.name == identifier)
}

/// The service `owner`'s `ServiceIdentifier` names; it must be one of the template's.
fn owning_service(
    services: &[Service],
    identifier: &str,
    owner: &str,
) -> Result<usize, TemplateError> {
    find_service(services, identifier).ok_or_else(|| TemplateError::DanglingReference {
        resource: owner.to_owned(),
        property: "ServiceIdentifier".into(),
        value: identifier.to_owned(),
        expected: "AWS::VpcLattice::Service",
    })
}

/// Attaches `parts` to `services` and `networks`. Services without an association join a local
/// default network (auth type `NONE`). Every listener is served; two on one port are an error
/// (Lattice refuses the second), more than two are noted (Lattice's default quota is two per
/// service).
pub(crate) fn attach(
    services: &mut [Service],
    networks: &mut [ServiceNetwork],
    parts: ServiceParts,
    account: &LocalAccount,
    notes: &mut Vec<Note>,
) -> Result<(), TemplateError> {
    for association in parts.associations {
        let known = networks
            .iter()
            .any(|n| identifies(&association.network_arn, &n.arn));
        if !known && !notes.iter().any(|n| n.resource == association.network_arn) {
            notes.push(Note {
                resource: association.network_arn.clone(),
                kind: "AWS::VpcLattice::ServiceNetwork".into(),
                message: "not created by this template: its auth type and auth policy are unknown locally, so only its services' own are enforced".into(),
            });
        }
        if let Some(i) = find_service(services, &association.service) {
            services[i].service_network_arn = association.network_arn;
        }
    }
    let default_network = account.lattice_arn(&format!(
        "servicenetwork/{}",
        local_id("sn", "lattice-local")
    ));
    for service in services.iter_mut() {
        if service.service_network_arn.is_empty() {
            service.service_network_arn = default_network.clone();
        }
    }
    for ServiceListener { service, listener } in parts.listeners {
        let i = owning_service(services, &service, &listener.logical_id)?;
        let owner = &mut services[i];
        if let Some(taken) = owner.listeners.iter().find(|l| l.port == listener.port) {
            return Err(TemplateError::InvalidProperty {
                resource: listener.logical_id.clone(),
                property: "Port".into(),
                message: format!(
                    "listener {} of service {} already uses port {}",
                    taken.logical_id, owner.name, listener.port
                ),
            });
        }
        owner.listeners.push(listener);
        if owner.listeners.len() == MAX_LISTENERS_BY_DEFAULT + 1 {
            notes.push(Note {
                resource: owner.logical_id.clone(),
                kind: "AWS::VpcLattice::Service".into(),
                message: format!(
                    "more than {MAX_LISTENERS_BY_DEFAULT} listeners: served locally, but Lattice \
                     needs a quota increase for them (Listeners per service)"
                ),
            });
        }
    }
    for ListenerRule {
        service,
        listener,
        rule,
    } in parts.rules
    {
        let i = owning_service(services, &service, &rule.name)?;
        let owner = services[i]
            .listeners
            .iter_mut()
            .find(|served| identifies(&listener, &served.arn));
        match owner {
            Some(served) => served.rules.push(rule),
            None => {
                return Err(TemplateError::DanglingReference {
                    resource: rule.name.clone(),
                    property: "ListenerIdentifier".into(),
                    value: listener,
                    expected: "AWS::VpcLattice::Listener of its service",
                });
            }
        }
    }
    for ResourcePolicy {
        logical_id,
        target,
        policy,
    } in parts.policies
    {
        if let Some(i) = find_service(services, &target) {
            services[i].auth_policy = Some(policy);
        } else if let Some(network) = networks
            .iter_mut()
            .find(|n| identifies(&target, &n.arn) || n.name == target)
        {
            network.auth_policy = Some(policy);
        } else if target.starts_with("sn-") || target.contains(":servicenetwork/") {
            notes.push(Note {
                resource: logical_id,
                kind: "AWS::VpcLattice::AuthPolicy".into(),
                message: format!(
                    "on service network {target}, which this template does not create: not evaluated locally"
                ),
            });
        } else {
            return Err(TemplateError::DanglingReference {
                resource: logical_id,
                property: "ResourceIdentifier".into(),
                value: target,
                expected: "AWS::VpcLattice::Service or AWS::VpcLattice::ServiceNetwork",
            });
        }
    }
    let unenforced = services
        .iter()
        .map(|s| {
            (
                &s.logical_id,
                &s.auth_type,
                s.auth_policy.is_some(),
                "service",
            )
        })
        .chain(networks.iter().map(|n| {
            (
                &n.logical_id,
                &n.auth_type,
                n.auth_policy.is_some(),
                "service network",
            )
        }))
        .filter(|(_, auth_type, has_policy, _)| *has_policy && **auth_type != AuthType::AwsIam);
    for (logical_id, _, _, what) in unenforced {
        notes.push(Note {
            resource: logical_id.clone(),
            kind: "AWS::VpcLattice::AuthPolicy".into(),
            message: format!(
                "the {what}'s AuthType is NONE, so its auth policy is not enforced (as in Lattice)"
            ),
        });
    }
    Ok(())
}

/// Rewrites every action's target group identifiers (ARNs or ids) to logical ids.
pub(crate) fn resolve_actions(
    services: &mut [Service],
    groups: &BTreeMap<String, TargetGroup>,
) -> Result<(), TemplateError> {
    for listener in services.iter_mut().flat_map(|s| s.listeners.iter_mut()) {
        resolve_action(&mut listener.default_action, &listener.logical_id, groups)?;
        for rule in &mut listener.rules {
            resolve_action(&mut rule.action, &rule.name, groups)?;
        }
    }
    Ok(())
}

fn resolve_action(
    action: &mut Action,
    owner: &str,
    groups: &BTreeMap<String, TargetGroup>,
) -> Result<(), TemplateError> {
    let Action::Forward(targets) = action else {
        return Ok(());
    };
    for target in targets {
        let identifier = &target.target_group;
        let group = groups
            .values()
            .find(|g| identifies(identifier, &g.arn) || g.logical_id == *identifier)
            .ok_or_else(|| TemplateError::DanglingReference {
                resource: owner.to_owned(),
                property: "TargetGroupIdentifier".into(),
                value: identifier.clone(),
                expected: "supported AWS::VpcLattice::TargetGroup",
            })?;
        target.target_group = group.logical_id.clone();
    }
    Ok(())
}

/// Points each Lambda target group at the template function its target names; a target
/// outside the template is noted (requests to it get 503).
pub(crate) fn lambda_targets(
    groups: &mut BTreeMap<String, TargetGroup>,
    functions: &BTreeMap<String, Function>,
    notes: &mut Vec<Note>,
) {
    for group in groups.values_mut() {
        let TargetKind::Lambda {
            function,
            target_id,
            ..
        } = &mut group.kind
        else {
            continue;
        };
        if target_id.is_empty() {
            continue;
        }
        // A qualified ARN (`…:function:name:alias`) still names the function.
        let found = functions.values().find(|f| {
            *target_id == f.arn
                || *target_id == f.name
                || target_id.starts_with(&format!("{}:", f.arn))
        });
        match found {
            Some(f) => *function = Some(f.logical_id.clone()),
            None => notes.push(Note {
                resource: group.logical_id.clone(),
                kind: "AWS::VpcLattice::TargetGroup".into(),
                message: format!(
                    "target {target_id} is not a function of this template: requests to it get 503"
                ),
            }),
        }
    }
}
