//! Evaluating intrinsic functions and conditions against a small template.

use super::*;
use serde_json::json;

fn with_template(template: Json, check: impl FnOnce(&Evaluator<'_>)) {
    let empty = Map::new();
    let conditions = template
        .get("Conditions")
        .and_then(Json::as_object)
        .unwrap_or(&empty);
    let mappings = template
        .get("Mappings")
        .and_then(Json::as_object)
        .unwrap_or(&empty);
    let resources = template
        .get("Resources")
        .and_then(Json::as_object)
        .unwrap_or(&empty);
    let params = BTreeMap::from([
        ("Mode".to_owned(), ParamValue::Text("template".into())),
        ("Empty".to_owned(), ParamValue::Text(String::new())),
        ("Port".to_owned(), ParamValue::Text("8090".into())),
        (
            "Ips".to_owned(),
            ParamValue::List(vec!["10.0.0.1".into(), "10.0.0.2".into()]),
        ),
    ]);
    let missing = BTreeSet::from(["VpcId".to_owned()]);
    let eval = Evaluator::new(
        params,
        missing,
        Sections {
            conditions,
            mappings,
            resources,
        },
        LocalAccount::new("eu-west-1"),
    );
    check(&eval);
}

#[test]
fn conditions_combine_equals_not_and_or_and_condition() {
    let template = json!({"Conditions": {
        "IsTemplate": {"Fn::Equals": [{"Ref": "Mode"}, "template"]},
        "HasEmpty": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Empty"}, ""]}]},
        "Both": {"Fn::And": [{"Condition": "IsTemplate"}, {"Condition": "HasEmpty"}]},
        "Either": {"Fn::Or": [{"Condition": "IsTemplate"}, {"Condition": "HasEmpty"}]},
        "PortIsNumber": {"Fn::Equals": [{"Ref": "Port"}, 8090]},
        "Loop": {"Condition": "Loop"}
    }});
    with_template(template, |eval| {
        assert!(eval.condition("IsTemplate").unwrap());
        assert!(!eval.condition("HasEmpty").unwrap());
        assert!(!eval.condition("Both").unwrap());
        assert!(eval.condition("Either").unwrap());
        assert!(eval.condition("PortIsNumber").unwrap());
        assert_eq!(
            eval.condition("Nope"),
            Err(EvalError::UnknownCondition("Nope".into()))
        );
        assert_eq!(eval.condition("Loop"), Err(EvalError::Cycle("Loop".into())));
    });
}

#[test]
fn if_drops_no_value_and_only_evaluates_the_chosen_branch() {
    let template =
        json!({"Conditions": {"IsTemplate": {"Fn::Equals": [{"Ref": "Mode"}, "template"]}}});
    with_template(template, |eval| {
        let value = json!({
            "A": {"Fn::If": ["IsTemplate", "yes", {"Ref": "VpcId"}]},
            "B": {"Fn::If": ["IsTemplate", {"Ref": "AWS::NoValue"}, "no"]},
            "C": [1, {"Ref": "AWS::NoValue"}, 2]
        });
        assert_eq!(
            eval.eval(&value).unwrap(),
            Some(json!({"A": "yes", "C": [1, 2]}))
        );
        assert_eq!(
            eval.eval(&json!({"Ref": "VpcId"})),
            Err(EvalError::MissingParameter("VpcId".into()))
        );
    });
}

#[test]
fn sub_join_select_split_and_find_in_map() {
    let template = json!({
        "Mappings": {"Traffic": {"10": {"Stable": 90}}},
        "Resources": {"Svc": {"Type": "AWS::VpcLattice::Service", "Properties": {"Name": {"Ref": "Mode"}}}}
    });
    with_template(template, |eval| {
        let sub = json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root ${!Literal} ${Svc.DnsEntry.DomainName}"});
        assert_eq!(
            eval.eval(&sub).unwrap(),
            Some(json!(
                "arn:aws:iam::000000000000:root ${Literal} template.lattice.localhost"
            ))
        );
        let sub_vars = json!({"Fn::Sub": ["${X}-${AWS::Region}", {"X": {"Ref": "Port"}}]});
        assert_eq!(eval.eval(&sub_vars).unwrap(), Some(json!("8090-eu-west-1")));
        let padded = json!({"Fn::Select": [2, {"Fn::Split": [",", {"Fn::Join": ["", [{"Fn::Join": [",", {"Ref": "Ips"}]}, ",,,"]]}]}]});
        assert_eq!(eval.eval(&padded).unwrap(), Some(json!("")));
        let first = json!({"Fn::Select": ["1", {"Ref": "Ips"}]});
        assert_eq!(eval.eval(&first).unwrap(), Some(json!("10.0.0.2")));
        let weight = json!({"Fn::FindInMap": ["Traffic", "10", "Stable"]});
        assert_eq!(eval.eval(&weight).unwrap(), Some(json!(90)));
        let missing = json!({"Fn::FindInMap": ["Traffic", "99", "Stable"]});
        assert!(matches!(
            eval.eval(&missing),
            Err(EvalError::MissingMapping(..))
        ));
    });
}

#[test]
fn refs_and_attributes_of_lattice_resources_are_local_arns() {
    let template = json!({"Resources": {
        "Svc": {"Type": "AWS::VpcLattice::Service", "Properties": {"Name": "foo"}},
        "Lis": {"Type": "AWS::VpcLattice::Listener", "Properties": {"ServiceIdentifier": {"Ref": "Svc"}}},
        "Fn": {"Type": "AWS::Serverless::Function", "Properties": {}},
        "Odd": {"Type": "AWS::SQS::Queue"}
    }});
    with_template(template, |eval| {
        let svc = eval.eval(&json!({"Ref": "Svc"})).unwrap().unwrap();
        let svc = svc.as_str().unwrap();
        assert!(svc.starts_with("arn:aws:vpc-lattice:eu-west-1:000000000000:service/svc-"));
        let listener = eval
            .eval(&json!({"Fn::GetAtt": "Lis.Arn"}))
            .unwrap()
            .unwrap();
        assert!(
            listener
                .as_str()
                .unwrap()
                .starts_with(&format!("{svc}/listener/listener-"))
        );
        assert_eq!(
            eval.eval(&json!({"Fn::GetAtt": ["Fn", "Arn"]})).unwrap(),
            Some(json!("arn:aws:lambda:eu-west-1:000000000000:function:Fn"))
        );
        assert!(matches!(
            eval.eval(&json!({"Fn::GetAtt": "Odd.QueueName"})),
            Err(EvalError::UnsupportedAttribute { .. })
        ));
        assert_eq!(
            eval.eval(&json!({"Fn::GetAZs": ""})),
            Err(EvalError::UnsupportedFunction("Fn::GetAZs".into()))
        );
        assert_eq!(
            eval.eval(&json!({"Ref": "Ghost"})),
            Err(EvalError::UnknownRef("Ghost".into()))
        );
    });
}
