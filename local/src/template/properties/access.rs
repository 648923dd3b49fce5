//! Serde's access to a template value's parts: the entries of a mapping (only a struct's own
//! fields), the items of a list and a one-key mapping read as an enum variant. Entries that
//! evaluate to `AWS::NoValue` are left out, as CloudFormation leaves them out.

use std::borrow::Cow;

use serde::de::value::StrDeserializer;
use serde::de::{
    self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};
use serde_json::Value as Json;

use super::TemplateValue;
use super::error::{PropertyError, Segment};

/// The entries of a mapping, `AWS::NoValue` ones left out.
pub(super) struct MapReader<'a, 'e, 't> {
    parent: TemplateValue<'a, 'e, 't>,
    entries: serde_json::map::Iter<'a>,
    /// A struct's field names: other keys are not evaluated at all.
    fields: Option<&'static [&'static str]>,
    pending: Option<(&'a String, Cow<'a, Json>)>,
}

impl<'a, 'e, 't> MapReader<'a, 'e, 't> {
    pub(super) fn new(
        parent: TemplateValue<'a, 'e, 't>,
        map: &'a serde_json::Map<String, Json>,
        fields: Option<&'static [&'static str]>,
    ) -> Self {
        MapReader {
            parent,
            entries: map.iter(),
            fields,
            pending: None,
        }
    }
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
pub(super) struct SeqReader<'a, 'e, 't> {
    parent: TemplateValue<'a, 'e, 't>,
    items: std::iter::Enumerate<std::slice::Iter<'a, Json>>,
}

impl<'a, 'e, 't> SeqReader<'a, 'e, 't> {
    pub(super) fn new(parent: TemplateValue<'a, 'e, 't>, items: &'a [Json]) -> Self {
        SeqReader {
            parent,
            items: items.iter().enumerate(),
        }
    }
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
pub(super) struct VariantReader<'a, 'e, 't> {
    parent: TemplateValue<'a, 'e, 't>,
    name: &'a String,
    value: Cow<'a, Json>,
}

impl<'a, 'e, 't> VariantReader<'a, 'e, 't> {
    pub(super) fn new(
        parent: TemplateValue<'a, 'e, 't>,
        name: &'a String,
        value: Cow<'a, Json>,
    ) -> Self {
        VariantReader {
            parent,
            name,
            value,
        }
    }
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
