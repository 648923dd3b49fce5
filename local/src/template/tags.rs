//! `Tags: [{Key, Value}]` of a Lattice resource, as a map (`aws:ResourceTag/<key>`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::TemplateError;
use super::resource::Resource;

/// One entry of `Tags`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagProperty {
    key: String,
    /// CloudFormation allows an empty value; omitting it means the same.
    #[serde(default)]
    value: String,
}

/// The tags as a map; a key given twice (even in another case, since IAM compares tag keys
/// without regard to case) is an error naming it.
pub(crate) fn tag_map(
    resource: &Resource<'_>,
    tags: Vec<TagProperty>,
) -> Result<BTreeMap<String, String>, TemplateError> {
    let mut map = BTreeMap::new();
    for TagProperty { key, value } in tags {
        if map
            .keys()
            .any(|k: &String| k.to_lowercase() == key.to_lowercase())
        {
            return Err(resource.invalid("Tags", format!("key {key:?} appears more than once")));
        }
        map.insert(key, value);
    }
    Ok(map)
}
