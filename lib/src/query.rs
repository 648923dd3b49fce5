//! Query parameters with every value of every key, in order.

use std::fmt::Write as _;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Characters left as they are in an encoded query key or value: the RFC 3986
/// unreserved set. Everything else (including `&`, `=`, `+`, `%` and space) is
/// percent-encoded so that a value always decodes back to itself.
pub(crate) const UNRESERVED_COMPLEMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Query string parameters as Lattice delivered them: a key may carry several
/// values, and the order of keys and values is kept.
///
/// ```
/// use lattice_lambda::QueryParameters;
/// let mut query = QueryParameters::default();
/// query.push("tag", "a");
/// query.push("tag", "b");
/// query.push("q", "x y");
/// assert_eq!(query.first("tag"), Some("a"));
/// assert_eq!(query.all("tag").collect::<Vec<_>>(), ["a", "b"]);
/// assert_eq!(query.to_query_string(), "tag=a&tag=b&q=x%20y");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryParameters {
    pairs: Vec<(String, String)>,
}

impl QueryParameters {
    /// No parameters (usable in `static`s).
    pub const fn new_const() -> Self {
        QueryParameters { pairs: Vec::new() }
    }

    /// Adds one value for `key`, after any values it already has.
    pub fn push(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.pairs.push((key.into(), value.into()));
    }

    /// The first value of `key`.
    pub fn first(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every `(key, value)` pair, in order.
    ///
    /// ```
    /// let query = lattice_lambda::QueryParameters::parse("a=1&b=2");
    /// assert_eq!(query.iter().collect::<Vec<_>>(), [("a", "1"), ("b", "2")]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Keys grouped with all of their values, keys in order of first appearance.
    ///
    /// ```
    /// let query = lattice_lambda::QueryParameters::parse("a=1&b=2&a=3");
    /// let grouped = query.grouped();
    /// assert_eq!(grouped[0], ("a", vec!["1", "3"]));
    /// assert_eq!(grouped[1], ("b", vec!["2"]));
    /// ```
    pub fn grouped(&self) -> Vec<(&str, Vec<&str>)> {
        let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
        for (key, value) in self.iter() {
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, values)) => values.push(value),
                None => groups.push((key, vec![value])),
            }
        }
        groups
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Number of `(key, value)` pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Encodes the parameters as a URI query (without the leading `?`),
    /// percent-encoding everything outside the RFC 3986 unreserved set.
    pub fn to_query_string(&self) -> String {
        let mut out = String::new();
        for (i, (key, value)) in self.pairs.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            // Writing to a String cannot fail.
            let _ = write!(
                out,
                "{}={}",
                utf8_percent_encode(key, UNRESERVED_COMPLEMENT),
                utf8_percent_encode(value, UNRESERVED_COMPLEMENT)
            );
        }
        out
    }

    /// Parses a raw URI query (`a=1&b=x%20y`), percent-decoding keys and values
    /// and reading `+` as a space. Invalid UTF-8 after decoding is replaced
    /// with U+FFFD rather than rejected.
    pub fn parse(raw: &str) -> Self {
        let mut query = QueryParameters::default();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            query.push(decode_component(key), decode_component(value));
        }
        query
    }
}

fn decode_component(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for QueryParameters {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        QueryParameters {
            pairs: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_reserved_characters() {
        let query: QueryParameters = [("k&=", "a b%20+/?"), ("é", "ü")].into_iter().collect();
        let encoded = query.to_query_string();
        assert_eq!(encoded, "k%26%3D=a%20b%2520%2B%2F%3F&%C3%A9=%C3%BC");
        assert_eq!(QueryParameters::parse(&encoded), query);
    }

    #[test]
    fn parse_keeps_repeated_keys_and_bare_keys() {
        let query = QueryParameters::parse("a=1&flag&a=2&&b=");
        assert_eq!(
            query.iter().collect::<Vec<_>>(),
            [("a", "1"), ("flag", ""), ("a", "2"), ("b", "")]
        );
    }
}
