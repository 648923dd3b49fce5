//! YAML -> JSON with CloudFormation's short-form tags (`!Ref x`, `!GetAtt a.b`) turned into
//! their long form (`{"Ref": x}`, `{"Fn::GetAtt": "a.b"}`), so evaluation deals with one shape.

use serde_json::{Map, Value as Json};

/// YAML -> JSON with short-form tags (`!Ref x`) turned into long form
/// (`{"Ref": x}`), so evaluation deals with one shape.
pub(crate) fn normalise(value: serde_yaml_ng::Value) -> Json {
    use serde_yaml_ng::Value as Y;
    match value {
        Y::Null => Json::Null,
        Y::Bool(b) => Json::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Json::from(i)
            } else if let Some(u) = n.as_u64() {
                Json::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Json::Null, Json::Number)
            }
        }
        Y::String(s) => Json::String(s),
        Y::Sequence(items) => Json::Array(items.into_iter().map(normalise).collect()),
        Y::Mapping(map) => Json::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match normalise(k) {
                        Json::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, normalise(v))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let key = match name {
                "Ref" | "Condition" => name.to_owned(),
                other => format!("Fn::{other}"),
            };
            let mut map = Map::new();
            map.insert(key, normalise(tagged.value));
            Json::Object(map)
        }
    }
}
