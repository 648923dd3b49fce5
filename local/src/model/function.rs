//! A function lattice-local runs as a local process.

use std::time::Duration;

/// An `AWS::Serverless::Function` built with cargo-lambda.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// Logical id.
    pub logical_id: String,
    /// Function name (`FunctionName`, else the logical id).
    pub name: String,
    /// Local ARN.
    pub arn: String,
    /// The workspace binary (`Metadata.BuildProperties.Binary`).
    pub binary: String,
    /// `Environment.Variables` after evaluation.
    pub env: Vec<(String, String)>,
    /// `Timeout`.
    pub timeout: Duration,
    /// `MemorySize`.
    pub memory_mb: u32,
}
