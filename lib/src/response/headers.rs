//! Response headers in Lattice's one-string-per-name JSON object.
//!
//! Repeated headers are joined with `", "` (list syntax, RFC 9110 §5.3),
//! except `set-cookie`: cookies cannot be joined (an `Expires` date contains a
//! comma) and must not be dropped. Each extra cookie is sent under a
//! different spelling of the name (`set-cookie`, `Set-cookie`, `sEt-cookie`,
//! …): JSON keys stay distinct while HTTP, whose header names are
//! case-insensitive, sees several `set-cookie` headers. Decoding does the
//! reverse: spellings of one name become several values of that header.

use http::header::SET_COOKIE;
use http::{HeaderMap, HeaderName, HeaderValue};

/// Flattens headers to one `(name, value)` pair per JSON key.
pub(crate) fn flatten(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut flat = Vec::with_capacity(headers.keys_len());
    for name in headers.keys() {
        let mut values = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        if name == SET_COOKIE {
            for (index, cookie) in values.enumerate() {
                flat.push((case_variant(name.as_str(), index), cookie));
            }
        } else {
            let first = values.next().unwrap_or_default();
            let joined = values.fold(first, |mut acc, v| {
                acc.push_str(", ");
                acc.push_str(&v);
                acc
            });
            flat.push((name.as_str().to_owned(), joined));
        }
    }
    flat
}

/// The `index`-th spelling of `name`: bit *i* of `index` upper-cases the
/// *i*-th letter. `set-cookie` has 9 letters, so 512 distinct spellings; past
/// that the spelling repeats and a JSON reader keeps only one of the repeats,
/// which is far beyond any real response.
fn case_variant(name: &str, index: usize) -> String {
    let mut letter = 0;
    name.chars()
        .map(|c| {
            if !c.is_ascii_alphabetic() {
                return c;
            }
            let upper = index >> letter & 1 == 1;
            letter += 1;
            if upper { c.to_ascii_uppercase() } else { c }
        })
        .collect()
}

/// Reads JSON header pairs back into a [`HeaderMap`]; spellings of one name
/// become several values. Returns the offending name on error.
pub(crate) fn unflatten(pairs: Vec<(String, String)>) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| name.clone())?;
        let value = HeaderValue::from_str(&value).map_err(|_| name.clone())?;
        headers.append(header, value);
    }
    Ok(headers)
}

/// Serde for `Vec<(String, String)>` as a JSON object that keeps order and
/// accepts a list value (taking each element) or null for robustness.
pub(crate) mod json {
    use std::fmt;

    use serde::de::{MapAccess, Visitor};
    use serde::ser::SerializeMap;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        pairs: &[(String, String)],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(pairs.len()))?;
        for (name, value) in pairs {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<(String, String)>, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Vec<(String, String)>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of header strings")
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(Vec::new())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, OneOrMany>()? {
                    pairs.extend(value.0.into_iter().map(|v| (name.clone(), v)));
                }
                Ok(pairs)
            }
        }
        deserializer.deserialize_any(PairsVisitor)
    }

    struct OneOrMany(Vec<String>);

    impl<'de> serde::Deserialize<'de> for OneOrMany {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            #[derive(serde::Deserialize)]
            #[serde(untagged)]
            enum Shape {
                One(String),
                Many(Vec<String>),
            }
            Ok(match serde::Deserialize::deserialize(deserializer)? {
                Shape::One(v) => OneOrMany(vec![v]),
                Shape::Many(v) => OneOrMany(v),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_variants_are_distinct_and_equal_ignoring_case() {
        let variants: Vec<String> = (0..512).map(|i| case_variant("set-cookie", i)).collect();
        let unique: std::collections::HashSet<_> = variants.iter().collect();
        assert_eq!(unique.len(), 512);
        assert!(
            variants
                .iter()
                .all(|v| v.eq_ignore_ascii_case("set-cookie"))
        );
        assert_eq!(variants[0], "set-cookie");
    }

    #[test]
    fn many_cookies_survive_flatten_and_unflatten() {
        let mut headers = HeaderMap::new();
        for i in 0..20 {
            headers.append(
                SET_COOKIE,
                HeaderValue::from_str(&format!("c{i}=v; Expires=Wed, 21 Oct 2026 07:28:00 GMT"))
                    .unwrap(),
            );
        }
        let back = unflatten(flatten(&headers)).unwrap();
        let cookies: Vec<_> = back.get_all(SET_COOKIE).iter().collect();
        assert_eq!(cookies.len(), 20);
        assert_eq!(cookies[19], "c19=v; Expires=Wed, 21 Oct 2026 07:28:00 GMT");
    }
}
