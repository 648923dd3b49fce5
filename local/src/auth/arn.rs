//! Splitting ARNs (`arn:partition:service:region:account:resource`) into their fields.

/// The 12-digit account of a principal ARN; empty if the ARN is invalid.
pub(crate) fn account_of(principal_arn: &str) -> &str {
    Arn::parse(principal_arn)
        .map(|arn| arn.account)
        .unwrap_or("")
}

/// The VPC id (`vpc-…`) at the end of a VPC ARN.
pub(crate) fn vpc_id_of(vpc_arn: Option<&str>) -> Option<&str> {
    vpc_arn
        .and_then(|arn| arn.rsplit_once("vpc/"))
        .map(|(_, id)| id)
}

/// The fields of an ARN, borrowed from the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arn<'a> {
    pub(crate) partition: &'a str,
    pub(crate) service: &'a str,
    pub(crate) region: &'a str,
    pub(crate) account: &'a str,
    pub(crate) resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `s`, or `None` if it does not have the six ARN fields.
    pub(crate) fn parse(s: &'a str) -> Option<Arn<'a>> {
        let mut parts = s.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let arn = Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        };
        (!arn.partition.is_empty() && !arn.service.is_empty() && !arn.resource.is_empty())
            .then_some(arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_fields_and_keeps_colons_in_the_resource() {
        let arn = Arn::parse("arn:aws:sts::111122223333:assumed-role/r/s:x").expect("valid");
        assert_eq!(arn.service, "sts");
        assert_eq!(arn.region, "");
        assert_eq!(arn.account, "111122223333");
        assert_eq!(arn.resource, "assumed-role/r/s:x");
        assert_eq!(Arn::parse("arn:aws:iam::1"), None);
        assert_eq!(Arn::parse("urn:aws:iam::1:root"), None);
    }
}
