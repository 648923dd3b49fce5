//! A template parameter's value, as the topology records it.

/// A parameter's value: a string, or a list for `CommaDelimitedList` / `List<…>` types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamValue {
    /// A single value (`String`, `Number`, `AWS::EC2::VPC::Id`, …).
    Text(String),
    /// A list value.
    List(Vec<String>),
}
