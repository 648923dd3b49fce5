//! Which function an Invoke API request names: a name, a partial ARN or a full ARN, with an
//! optional qualifier (in the name or as `?Qualifier=`).

use percent_encoding::percent_decode_str;

/// A function name, partial ARN or full ARN, with its optional qualifier.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct FunctionRef<'a> {
    pub(super) name: &'a str,
    pub(super) qualifier: Option<&'a str>,
    pub(super) region: Option<&'a str>,
    pub(super) account: Option<&'a str>,
}

pub(super) fn parse_function_ref(target: &str) -> Option<FunctionRef<'_>> {
    let parts: Vec<&str> = target.split(':').collect();
    let (name, qualifier, region, account) = match parts.as_slice() {
        [name] => (*name, None, None, None),
        [name, qualifier] if *name != "function" => (*name, Some(*qualifier), None, None),
        [account, "function", name] => (*name, None, None, Some(*account)),
        [account, "function", name, qualifier] => (*name, Some(*qualifier), None, Some(*account)),
        ["arn", _, "lambda", region, account, "function", name] => {
            (*name, None, Some(*region), Some(*account))
        }
        [
            "arn",
            _,
            "lambda",
            region,
            account,
            "function",
            name,
            qualifier,
        ] => (*name, Some(*qualifier), Some(*region), Some(*account)),
        _ => return None,
    };
    (!name.is_empty()).then_some(FunctionRef {
        name,
        qualifier,
        region,
        account,
    })
}

pub(super) fn query_parameter(query: Option<&str>, key: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| percent_decode_str(v).decode_utf8_lossy().into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_references_in_every_accepted_form() {
        let f = |name, qualifier, region, account| FunctionRef {
            name,
            qualifier,
            region,
            account,
        };
        assert_eq!(parse_function_ref("fn"), Some(f("fn", None, None, None)));
        assert_eq!(
            parse_function_ref("fn:$LATEST"),
            Some(f("fn", Some("$LATEST"), None, None))
        );
        assert_eq!(
            parse_function_ref("123456789012:function:fn"),
            Some(f("fn", None, None, Some("123456789012")))
        );
        assert_eq!(
            parse_function_ref("arn:aws:lambda:eu-west-1:123456789012:function:fn:live"),
            Some(f(
                "fn",
                Some("live"),
                Some("eu-west-1"),
                Some("123456789012")
            ))
        );
        assert_eq!(parse_function_ref(""), None);
        assert_eq!(parse_function_ref("a:b:c:d:e"), None);
    }

    #[test]
    fn query_parameters_are_found_and_decoded() {
        assert_eq!(
            query_parameter(Some("a=1&Qualifier=%24LATEST"), "Qualifier").as_deref(),
            Some("$LATEST")
        );
        assert_eq!(query_parameter(Some("a=1"), "Qualifier"), None);
        assert_eq!(query_parameter(None, "Qualifier"), None);
    }
}
