//! A resource's `Properties` (or `Globals.Function`) -> a typed `serde` struct, evaluating
//! intrinsic functions on the way.
//!
//! Evaluation is lazy: serde tells a struct's deserializer which fields it has, and only those
//! properties are evaluated. A property lattice-local does not read (a target group's
//! `Config.VpcIdentifier`, say) may therefore refer to a parameter that was never given.
//!
//! Scalars are read as CloudFormation passes them: a number may arrive as a string
//! (`Port: !Ref PortParameter` is `"8090"`), and a string property may be written as a
//! number or a boolean.

mod access;
mod error;

use std::borrow::Cow;

use serde::de::{self, DeserializeOwned, IntoDeserializer, Unexpected, Visitor};
use serde_json::{Map, Value as Json};

use super::error::TemplateError;
use super::intrinsics::{Evaluator, is_intrinsic, json_to_string};
use access::{MapReader, SeqReader, VariantReader};
use error::{PropertyError, Segment};

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

    /// A part of this value; an owned `json` was just evaluated, so nothing below it is.
    #[expect(
        clippy::ptr_arg,
        reason = "whether the Cow is owned tells whether the value was evaluated"
    )]
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
            Json::Array(items) => visitor.visit_seq(SeqReader::new(self, items)),
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
                visitor.visit_enum(VariantReader::new(self, name, resolved))
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
            Json::Object(map) => visitor.visit_map(MapReader::new(self, map, fields)),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }
}
