//! A resource's `Properties` (or `Globals.Function`) -> a typed `serde` struct, evaluating
//! intrinsic functions on the way.
//!
//! Evaluation stays lazy, as CloudFormation's reading by lattice-local always was: serde tells
//! a struct's deserializer which fields it has, and only those properties are evaluated. A
//! property lattice-local does not read (a target group's `Config.VpcIdentifier`, say) may
//! therefore refer to a parameter that was never given.
//!
//! Scalars are read as CloudFormation passes them: a number may arrive as a string
//! (`Port: !Ref PortParameter` is `"8090"`), and a string property may be written as a
//! number or a boolean.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::StrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};
use serde_json::{Map, Value as Json};

use super::error::{EvalError, TemplateError};
use super::intrinsics::{Evaluator, is_intrinsic, json_to_string};

/// Where the properties being read sit in the template, for error messages.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin<'a> {
    /// `Resources.<logical id>.Properties`.
    Resource(&'a str),
    /// `Globals.Function`.
    GlobalFunction,
}

/// Deserialises `raw` (absent properties read as an empty mapping) into `T`, evaluating
/// what `T` reads.
pub(crate) fn read<T: DeserializeOwned>(
    eval: &Evaluator<'_>,
    origin: Origin<'_>,
    raw: Option<&Json>,
) -> Result<T, TemplateError> {
    let empty = Json::Object(Map::new());
    let reader = TemplateValue {
        eval,
        json: &empty,
        evaluated: false,
    };
    // `Properties: !If [...]` is evaluated as a whole first.
    let resolved = match raw {
        None => None,
        Some(raw) => reader
            .resolve(raw)
            .map_err(|error| error.into_template_error(origin))?,
    };
    let properties = resolved.unwrap_or(Cow::Borrowed(&empty));
    T::deserialize(reader.child(&properties)).map_err(|error| error.into_template_error(origin))
}

/// Why a property could not be read, and where (innermost segment first while it travels
/// outwards).
#[derive(Debug)]
pub(crate) struct PropertyError {
    path: Vec<Segment>,
    reason: Reason,
}

#[derive(Debug)]
enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Debug)]
enum Reason {
    Eval(EvalError),
    Missing,
    Invalid(String),
}

impl PropertyError {
    fn eval(source: EvalError) -> Self {
        PropertyError {
            path: Vec::new(),
            reason: Reason::Eval(source),
        }
    }

    fn within(mut self, segment: Segment) -> Self {
        self.path.push(segment);
        self
    }

    /// The property path, e.g. `Match.HttpMatch.HeaderMatches[0].Name`.
    fn path(&self) -> String {
        let mut out = String::new();
        for segment in self.path.iter().rev() {
            match segment {
                Segment::Key(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                Segment::Index(index) => out.push_str(&format!("[{index}]")),
            }
        }
        out
    }

    fn into_template_error(self, origin: Origin<'_>) -> TemplateError {
        let path = self.path();
        let (resource, property, location) = match origin {
            Origin::Resource(id) => (
                id.to_owned(),
                path.clone(),
                format!("Resources.{id}.Properties.{path}"),
            ),
            Origin::GlobalFunction => (
                "Globals".to_owned(),
                format!("Function.{path}"),
                format!("Globals.Function.{path}"),
            ),
        };
        match self.reason {
            Reason::Eval(source) => TemplateError::Eval { location, source },
            Reason::Missing => TemplateError::MissingProperty { resource, property },
            Reason::Invalid(message) => TemplateError::InvalidProperty {
                resource,
                property,
                message,
            },
        }
    }
}

impl fmt::Display for PropertyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path();
        match &self.reason {
            Reason::Eval(source) => write!(f, "{path}: {source}"),
            Reason::Missing => write!(f, "missing property {path}"),
            Reason::Invalid(message) => write!(f, "property {path}: {message}"),
        }
    }
}

impl std::error::Error for PropertyError {}

impl de::Error for PropertyError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        PropertyError {
            path: Vec::new(),
            reason: Reason::Invalid(message.to_string()),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        PropertyError {
            path: vec![Segment::Key(field.to_owned())],
            reason: Reason::Missing,
        }
    }
}

/// One template value being deserialised. Until `evaluated`, it may hold intrinsic functions
/// (anywhere below it); an evaluated value is plain JSON.
struct TemplateValue<'a, 'e, 't> {
    eval: &'e Evaluator<'t>,
    json: &'a Json,
    evaluated: bool,
}

impl<'a, 'e, 't> TemplateValue<'a, 'e, 't> {
    /// Evaluates `json` if it is itself an intrinsic function (children are left for later);
    /// `None` is `AWS::NoValue`: the entry is absent.
    fn resolve(&self, json: &'a Json) -> Result<Option<Cow<'a, Json>>, PropertyError> {
        if self.evaluated || !is_intrinsic(json) {
            return Ok(Some(Cow::Borrowed(json)));
        }
        self.eval
            .eval(json)
            .map(|value| value.map(Cow::Owned))
            .map_err(PropertyError::eval)
    }

    fn child<'b>(&self, json: &'b Cow<'_, Json>) -> TemplateValue<'b, 'e, 't> {
        TemplateValue {
            eval: self.eval,
            json: json.as_ref(),
            evaluated: self.evaluated || matches!(json, Cow::Owned(_)),
        }
    }

    /// The whole value, every intrinsic below it evaluated.
    fn evaluate_all(&self) -> Result<Json, PropertyError> {
        if self.evaluated {
            return Ok(self.json.clone());
        }
        self.eval
            .eval(self.json)
            .map(|value| value.unwrap_or(Json::Null))
            .map_err(PropertyError::eval)
    }

    fn unexpected(&self) -> Unexpected<'a> {
        match self.json {
            Json::Null => Unexpected::Unit,
            Json::Bool(b) => Unexpected::Bool(*b),
            Json::Number(_) => Unexpected::Other("number"),
            Json::String(s) => Unexpected::Str(s),
            Json::Array(_) => Unexpected::Seq,
            Json::Object(_) => Unexpected::Map,
        }
    }

    /// Numbers, or strings holding one (CloudFormation passes parameters as text).
    fn number<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PropertyError> {
        let text = match self.json {
            Json::Number(n) => n.to_string(),
            Json::String(s) => s.trim().to_owned(),
            _ => return Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        };
        if let Ok(n) = text.parse::<u64>() {
            visitor.visit_u64(n)
        } else if let Ok(n) = text.parse::<i64>() {
            visitor.visit_i64(n)
        } else if let Ok(n) = text.parse::<f64>() {
            visitor.visit_f64(n)
        } else {
            Err(de::Error::invalid_value(self.unexpected(), &visitor))
        }
    }
}

macro_rules! numbers_from_text {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PropertyError> {
            self.number(visitor)
        })*
    };
}

impl<'de> de::Deserializer<'de> for TemplateValue<'_, '_, '_> {
    type Error = PropertyError;

    /// Untyped targets (`serde_json::Value`, a policy document) take the evaluated value.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PropertyError> {
        de::Deserializer::deserialize_any(self.evaluate_all()?, visitor).map_err(de::Error::custom)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PropertyError> {
        match self.json {
            Json::Bool(b) => visitor.visit_bool(*b),
            Json::String(s) if s == "true" => visitor.visit_bool(true),
            Json::String(s) if s == "false" => visitor.visit_bool(false),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }

    numbers_from_text! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PropertyError> {
        match json_to_string(self.json) {
            Some(text) => visitor.visit_string(text),
            None => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PropertyError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PropertyError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, PropertyError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PropertyError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PropertyError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PropertyError> {
        match self.json {
            Json::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PropertyError> {
        match self.json {
            Json::Null => visitor.visit_unit(),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PropertyError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PropertyError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PropertyError> {
        match self.json {
            Json::Array(items) => visitor.visit_seq(SeqReader {
                parent: self,
                items: items.iter().enumerate(),
            }),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, PropertyError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, PropertyError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PropertyError> {
        self.read_map(None, visitor)
    }

    /// Only the struct's own fields are evaluated; anything else in the mapping is skipped
    /// unread.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PropertyError> {
        self.read_map(Some(fields), visitor)
    }

    /// A variant is written as a string (unit variants) or as a mapping with one key, the
    /// variant's name (`Match: { Exact: /health }`).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PropertyError> {
        match self.json {
            Json::String(name) => visitor.visit_enum(name.as_str().into_deserializer()),
            Json::Object(map) if map.len() == 1 => {
                let Some((name, value)) = map.iter().next() else {
                    return Err(de::Error::invalid_length(0, &"one variant"));
                };
                let resolved = self
                    .resolve(value)
                    .map_err(|e| e.within(Segment::Key(name.clone())))?
                    .unwrap_or(Cow::Owned(Json::Null));
                visitor.visit_enum(VariantReader {
                    parent: self,
                    name,
                    value: resolved,
                })
            }
            _ => Err(de::Error::custom(format!(
                "expected exactly one of {}",
                variants.join(", ")
            ))),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, PropertyError> {
        visitor.visit_unit()
    }
}

impl TemplateValue<'_, '_, '_> {
    fn read_map<'de, V: Visitor<'de>>(
        self,
        fields: Option<&'static [&'static str]>,
        visitor: V,
    ) -> Result<V::Value, PropertyError> {
        match self.json {
            Json::Object(map) => visitor.visit_map(MapReader {
                parent: self,
                entries: map.iter(),
                fields,
                pending: None,
            }),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }
}

/// The entries of a mapping, `AWS::NoValue` ones left out.
struct MapReader<'a, 'e, 't> {
    parent: TemplateValue<'a, 'e, 't>,
    entries: serde_json::map::Iter<'a>,
    /// A struct's field names: other keys are not evaluated at all.
    fields: Option<&'static [&'static str]>,
    pending: Option<(&'a String, Cow<'a, Json>)>,
}

impl<'de, 'a> MapAccess<'de> for MapReader<'a, '_, '_> {
    type Error = PropertyError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, PropertyError> {
        for (key, raw) in self.entries.by_ref() {
            if self.fields.is_some_and(|f| !f.contains(&key.as_str())) {
                continue;
            }
            let Some(value) = self
                .parent
                .resolve(raw)
                .map_err(|e| e.within(Segment::Key(key.clone())))?
            else {
                continue;
            };
            self.pending = Some((key, value));
            let name: StrDeserializer<'_, PropertyError> = key.as_str().into_deserializer();
            return seed.deserialize(name).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, PropertyError> {
        let Some((key, value)) = self.pending.take() else {
            return Err(de::Error::custom("a value was asked for before its key"));
        };
        seed.deserialize(self.parent.child(&value))
            .map_err(|e| e.within(Segment::Key(key.clone())))
    }
}

/// The items of a list, `AWS::NoValue` ones left out.
struct SeqReader<'a, 'e, 't> {
    parent: TemplateValue<'a, 'e, 't>,
    items: std::iter::Enumerate<std::slice::Iter<'a, Json>>,
}

impl<'de> SeqAccess<'de> for SeqReader<'_, '_, '_> {
    type Error = PropertyError;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, PropertyError> {
        for (index, raw) in self.items.by_ref() {
            let within = |e: PropertyError| e.within(Segment::Index(index));
            let Some(value) = self.parent.resolve(raw).map_err(within)? else {
                continue;
            };
            return seed
                .deserialize(self.parent.child(&value))
                .map(Some)
                .map_err(within);
        }
        Ok(None)
    }
}

/// A one-key mapping read as an enum variant.
struct VariantReader<'a, 'e, 't> {
    parent: TemplateValue<'a, 'e, 't>,
    name: &'a String,
    value: Cow<'a, Json>,
}

impl<'de, 'a, 'e, 't> EnumAccess<'de> for VariantReader<'a, 'e, 't> {
    type Error = PropertyError;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self), PropertyError> {
        let name: StrDeserializer<'_, PropertyError> = self.name.as_str().into_deserializer();
        let variant = seed.deserialize(name)?;
        Ok((variant, self))
    }
}

impl<'de> VariantAccess<'de> for VariantReader<'_, '_, '_> {
    type Error = PropertyError;

    fn unit_variant(self) -> Result<(), PropertyError> {
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<S::Value, PropertyError> {
        seed.deserialize(self.parent.child(&self.value))
            .map_err(|e| e.within(Segment::Key(self.name.clone())))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, PropertyError> {
        de::Deserializer::deserialize_seq(self.parent.child(&self.value), visitor)
            .map_err(|e| e.within(Segment::Key(self.name.clone())))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PropertyError> {
        self.parent
            .child(&self.value)
            .read_map(Some(fields), visitor)
            .map_err(|e| e.within(Segment::Key(self.name.clone())))
    }
}
