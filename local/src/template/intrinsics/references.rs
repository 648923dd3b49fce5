//! `Ref` and `Fn::GetAtt`: parameters, pseudo parameters and resources, answered with the
//! local account's names, ids and ARNs.

use serde_json::Value as Json;

use super::Evaluator;
use crate::model::{LOCAL_DOMAIN, ParamValue, local_id};
use crate::template::error::EvalError;

impl<'t> Evaluator<'t> {
    /// `Ref`: a parameter, a pseudo parameter or a resource.
    pub(super) fn reference(&self, name: &str) -> Result<Option<Json>, EvalError> {
        if let Some(value) = self.params.get(name) {
            return Ok(Some(param_json(value)));
        }
        if self.missing.contains(name) {
            return Err(EvalError::MissingParameter(name.to_owned()));
        }
        let pseudo = match name {
            "AWS::NoValue" => return Ok(None),
            "AWS::AccountId" => self.account.account_id.clone(),
            "AWS::Region" => self.account.region.clone(),
            "AWS::Partition" => "aws".to_owned(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            "AWS::StackName" => "lattice-local".to_owned(),
            "AWS::StackId" => format!(
                "arn:aws:cloudformation:{}:{}:stack/lattice-local/{}",
                self.account.region,
                self.account.account_id,
                local_id("stack", "lattice-local")
            ),
            "AWS::NotificationARNs" => return Ok(Some(Json::Array(Vec::new()))),
            _ => return self.resource_ref(name).map(Some),
        };
        Ok(Some(Json::String(pseudo)))
    }

    fn resource_type(&self, logical_id: &str) -> Option<&'t str> {
        self.resources
            .get(logical_id)
            .and_then(|r| r.get("Type"))
            .and_then(Json::as_str)
    }

    fn resource_ref(&self, logical_id: &str) -> Result<Json, EvalError> {
        let kind = self
            .resource_type(logical_id)
            .ok_or_else(|| EvalError::UnknownRef(logical_id.to_owned()))?;
        let value = match kind {
            "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
                self.function_name(logical_id)?
            }
            "AWS::EC2::SecurityGroup" => local_id("sg", logical_id),
            "AWS::VpcLattice::Service"
            | "AWS::VpcLattice::ServiceNetwork"
            | "AWS::VpcLattice::Listener"
            | "AWS::VpcLattice::Rule"
            | "AWS::VpcLattice::TargetGroup"
            | "AWS::VpcLattice::ServiceNetworkServiceAssociation"
            | "AWS::VpcLattice::ServiceNetworkVpcAssociation" => {
                lattice_arn_of(self, logical_id, kind)?
            }
            // Anything else: a placeholder that is obviously local.
            _ => format!("{logical_id}-local"),
        };
        Ok(Json::String(value))
    }

    pub(super) fn attribute(&self, logical_id: &str, attribute: &str) -> Result<Json, EvalError> {
        let kind = self
            .resource_type(logical_id)
            .ok_or_else(|| EvalError::UnknownRef(logical_id.to_owned()))?;
        let unsupported = || EvalError::UnsupportedAttribute {
            resource: logical_id.to_owned(),
            attribute: attribute.to_owned(),
            kind: kind.to_owned(),
        };
        let value = match (kind, attribute) {
            ("AWS::Serverless::Function" | "AWS::Lambda::Function", "Arn") => {
                self.account.function_arn(&self.function_name(logical_id)?)
            }
            ("AWS::EC2::SecurityGroup", "GroupId") => local_id("sg", logical_id),
            (k, "Arn") if k.starts_with("AWS::VpcLattice::") => {
                lattice_arn_of(self, logical_id, k)?
            }
            (k, "Id") if k.starts_with("AWS::VpcLattice::") => lattice_id_prefix(k)
                .map(|p| local_id(p, logical_id))
                .ok_or_else(unsupported)?,
            ("AWS::VpcLattice::Service", "DnsEntry.DomainName") => {
                format!("{}.{LOCAL_DOMAIN}", self.lattice_name(logical_id)?)
            }
            ("AWS::VpcLattice::Service", "DnsEntry.HostedZoneId") => "ZLOCALLATTICE".to_owned(),
            ("AWS::VpcLattice::Service" | "AWS::VpcLattice::ServiceNetwork", "Name") => {
                self.lattice_name(logical_id)?
            }
            ("AWS::VpcLattice::Listener", "ServiceArn") => {
                let service = self.resource_property(logical_id, "ServiceIdentifier")?;
                self.string(&service, "Fn::GetAtt")?
            }
            _ => return Err(unsupported()),
        };
        Ok(Json::String(value))
    }

    fn resource_property(&self, logical_id: &str, property: &str) -> Result<Json, EvalError> {
        let raw = self
            .resources
            .get(logical_id)
            .and_then(|r| r.get("Properties"))
            .and_then(|p| p.get(property));
        let Some(raw) = raw else {
            return Ok(Json::Null);
        };
        let key = format!("{logical_id}.{property}");
        if !self.in_progress.borrow_mut().insert(key.clone()) {
            return Err(EvalError::Cycle(key));
        }
        let value = self.eval(raw);
        self.in_progress.borrow_mut().remove(&key);
        Ok(value?.unwrap_or(Json::Null))
    }

    /// A function's name: `FunctionName`, else its logical id (SAM would add
    /// the stack name and a suffix; locally the logical id is clearer).
    pub(crate) fn function_name(&self, logical_id: &str) -> Result<String, EvalError> {
        match self.resource_property(logical_id, "FunctionName")? {
            Json::Null => Ok(logical_id.to_owned()),
            name => self.string(&name, "FunctionName"),
        }
    }

    /// A Lattice resource's `Name`, else its logical id in lower case.
    pub(crate) fn lattice_name(&self, logical_id: &str) -> Result<String, EvalError> {
        match self.resource_property(logical_id, "Name")? {
            Json::Null => Ok(logical_id.to_ascii_lowercase()),
            name => self.string(&name, "Name"),
        }
    }
}

/// The id prefix Lattice uses for a resource type.
fn lattice_id_prefix(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "AWS::VpcLattice::Service" => "svc",
        "AWS::VpcLattice::ServiceNetwork" => "sn",
        "AWS::VpcLattice::Listener" => "listener",
        "AWS::VpcLattice::Rule" => "rule",
        "AWS::VpcLattice::TargetGroup" => "tg",
        "AWS::VpcLattice::ServiceNetworkServiceAssociation" => "snsa",
        "AWS::VpcLattice::ServiceNetworkVpcAssociation" => "snva",
        _ => return None,
    })
}

/// The ARN of a Lattice resource. Listeners and rules nest under their
/// service (and listener), as in Lattice.
fn lattice_arn_of(eval: &Evaluator<'_>, logical_id: &str, kind: &str) -> Result<String, EvalError> {
    let id = |prefix| local_id(prefix, logical_id);
    let parent = |property: &str| -> Result<String, EvalError> {
        let value = eval.resource_property(logical_id, property)?;
        let value = eval.string(&value, "Fn::GetAtt")?;
        // The identifier may be an ARN or an id; the ARN's last segment is the id.
        Ok(value.rsplit('/').next().unwrap_or_default().to_owned())
    };
    let resource = match kind {
        "AWS::VpcLattice::Service" => format!("service/{}", id("svc")),
        "AWS::VpcLattice::ServiceNetwork" => format!("servicenetwork/{}", id("sn")),
        "AWS::VpcLattice::TargetGroup" => format!("targetgroup/{}", id("tg")),
        "AWS::VpcLattice::Listener" => {
            format!(
                "service/{}/listener/{}",
                parent("ServiceIdentifier")?,
                id("listener")
            )
        }
        "AWS::VpcLattice::Rule" => format!(
            "service/{}/listener/{}/rule/{}",
            parent("ServiceIdentifier")?,
            parent("ListenerIdentifier")?,
            id("rule")
        ),
        "AWS::VpcLattice::ServiceNetworkServiceAssociation" => {
            format!("servicenetworkserviceassociation/{}", id("snsa"))
        }
        "AWS::VpcLattice::ServiceNetworkVpcAssociation" => {
            format!("servicenetworkvpcassociation/{}", id("snva"))
        }
        _ => format!("{}/{logical_id}", kind.to_ascii_lowercase()),
    };
    Ok(eval.account().lattice_arn(&resource))
}

/// A parameter as the JSON a `Ref` to it evaluates to.
fn param_json(value: &ParamValue) -> Json {
    match value {
        ParamValue::Text(text) => Json::String(text.clone()),
        ParamValue::List(items) => Json::Array(items.iter().cloned().map(Json::String).collect()),
    }
}
