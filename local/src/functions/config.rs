//! How to run one function: [`FunctionConfig`], its ARN and the sandbox environment.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::runtime_api::FunctionIdentity;

use super::error::FunctionConfigError;
use crate::model::LOCAL_ACCOUNT_ID;
use crate::net::limits::MAX_FUNCTION_CONCURRENCY;

/// Everything needed to run a function binary as Lambda would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionConfig {
    /// Function name (1–64 of `A-Z a-z 0-9 - _`).
    pub name: String,
    /// The executable (a `bootstrap` built for `provided.al2023`, or any binary using a
    /// Lambda runtime client).
    pub binary: PathBuf,
    /// Extra environment, applied last, so it can override the sandbox variables. The
    /// parent's environment is *not* inherited: pass credentials here explicitly.
    pub env: Vec<(String, String)>,
    /// Longest an invocation may run before the instance is killed. Lambda's default is 3 s.
    pub timeout: Duration,
    /// Longest an invoke waits for a free instance when all `max_instances` are busy
    /// (real Lambda would throttle at once; waiting suits a local emulator better).
    pub queue_timeout: Duration,
    /// Longest a new instance may take to reach its first `/invocation/next`.
    pub init_timeout: Duration,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (not enforced).
    pub memory_mb: u32,
    /// Most instances (processes) alive at once; invokes beyond it wait.
    pub max_instances: usize,
    /// Invocations one instance runs at once: `None` for one (Lambda's default), `Some(n)` to
    /// set `AWS_LAMBDA_MAX_CONCURRENCY=n` and hand an instance up to `n` concurrently, as
    /// Lambda Managed Instances do (at most [`MAX_FUNCTION_CONCURRENCY`]).
    pub max_concurrency: Option<usize>,
    /// `AWS_REGION`, also used in the ARN.
    pub region: String,
    /// Account id used in the ARN.
    pub account_id: String,
    /// `AWS_LAMBDA_FUNCTION_VERSION`.
    pub version: String,
    /// `_HANDLER`.
    pub handler: String,
    /// Time between SIGTERM and SIGKILL when the pool shuts down.
    pub shutdown_grace: Duration,
    /// Bytes of output kept for [`FunctionPool::logs`](super::FunctionPool::logs).
    pub log_retention_bytes: usize,
}

impl FunctionConfig {
    /// A configuration with Lambda's defaults: 3 s timeout (and queue timeout), 128 MB, `us-east-1`,
    /// `$LATEST`, account [`LOCAL_ACCOUNT_ID`], up to 4 instances.
    pub fn new(name: impl Into<String>, binary: impl Into<PathBuf>) -> Self {
        Self {
            name: name.into(),
            binary: binary.into(),
            env: Vec::new(),
            timeout: Duration::from_secs(3),
            queue_timeout: Duration::from_secs(3),
            init_timeout: Duration::from_secs(10),
            memory_mb: 128,
            max_instances: 4,
            max_concurrency: None,
            region: "us-east-1".to_owned(),
            account_id: LOCAL_ACCOUNT_ID.to_owned(),
            version: "$LATEST".to_owned(),
            handler: "bootstrap".to_owned(),
            shutdown_grace: Duration::from_secs(2),
            log_retention_bytes: 1024 * 1024,
        }
    }

    /// Add an environment variable for the function.
    pub fn with_env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Set the invocation timeout, and the queue timeout to the same value.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self.queue_timeout = timeout;
        self
    }

    /// Set how long an invoke may wait for a free instance.
    pub fn with_queue_timeout(mut self, queue_timeout: Duration) -> Self {
        self.queue_timeout = queue_timeout;
        self
    }

    /// Set the most instances alive at once.
    pub fn with_max_instances(mut self, max_instances: usize) -> Self {
        self.max_instances = max_instances;
        self
    }

    /// Hand each instance up to `max_concurrency` invocations at once (and tell it so with
    /// `AWS_LAMBDA_MAX_CONCURRENCY`).
    pub fn with_max_concurrency(mut self, max_concurrency: usize) -> Self {
        self.max_concurrency = Some(max_concurrency);
        self
    }

    /// Set the memory size reported to the function.
    pub fn with_memory_mb(mut self, memory_mb: u32) -> Self {
        self.memory_mb = memory_mb;
        self
    }

    /// Set the region reported to the function and used in the ARN.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// The unqualified function ARN, `arn:aws:lambda:<region>:<account>:function:<name>`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{}",
            self.region, self.account_id, self.name
        )
    }

    pub(crate) fn identity(&self) -> FunctionIdentity {
        FunctionIdentity {
            name: self.name.clone(),
            version: self.version.clone(),
            handler: self.handler.clone(),
            account_id: self.account_id.clone(),
        }
    }

    /// Check the values that end up in ARNs, headers and process limits.
    pub fn validate(&self) -> Result<(), FunctionConfigError> {
        let name_ok = (1..=64).contains(&self.name.len())
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(FunctionConfigError::InvalidName(self.name.clone()));
        }
        if self.region.is_empty()
            || !self
                .region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(FunctionConfigError::InvalidRegion(self.region.clone()));
        }
        if self.account_id.len() != 12 || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FunctionConfigError::InvalidAccountId(
                self.account_id.clone(),
            ));
        }
        if self.max_instances == 0 {
            return Err(FunctionConfigError::NoInstances);
        }
        if let Some(n) = self.max_concurrency
            && !(1..=MAX_FUNCTION_CONCURRENCY).contains(&n)
        {
            return Err(FunctionConfigError::InvalidConcurrency(n));
        }
        if self.timeout.is_zero() {
            return Err(FunctionConfigError::ZeroTimeout);
        }
        Ok(())
    }

    /// The binary as an absolute path, so that it does not depend on the child's directory.
    pub(crate) fn executable(&self) -> std::io::Result<PathBuf> {
        std::path::absolute(&self.binary)
    }

    /// The environment a Lambda sandbox gives the process, then [`FunctionConfig::env`].
    /// `task_root` is where the code lives (the binary's directory, as `/var/task` on Lambda).
    pub(crate) fn sandbox_env(
        &self,
        runtime_api: SocketAddr,
        log_stream: &str,
        task_root: &Path,
    ) -> Vec<(String, String)> {
        let task_root = task_root.to_string_lossy().into_owned();
        let mut env: Vec<(String, String)> = [
            ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
            ("AWS_LAMBDA_FUNCTION_NAME", self.name.clone()),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                self.memory_mb.to_string(),
            ),
            ("AWS_LAMBDA_FUNCTION_VERSION", self.version.clone()),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", self.name),
            ),
            ("AWS_LAMBDA_LOG_STREAM_NAME", log_stream.to_owned()),
            ("AWS_REGION", self.region.clone()),
            ("AWS_DEFAULT_REGION", self.region.clone()),
            ("_HANDLER", self.handler.clone()),
            ("LAMBDA_TASK_ROOT", task_root.clone()),
            ("LAMBDA_RUNTIME_DIR", task_root),
            ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".to_owned()),
            ("LANG", "en_US.UTF-8".to_owned()),
            ("TZ", ":UTC".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if let Some(n) = self.max_concurrency {
            // What Lambda Managed Instances set: runtimes poll with this many workers.
            env.push(("AWS_LAMBDA_MAX_CONCURRENCY".to_owned(), n.to_string()));
        }
        env.extend(self.env.iter().cloned());
        env
    }
}

/// A log stream name in Lambda's format: `YYYY/MM/DD/[<version>]<32 hex>`.
pub(crate) fn log_stream_name(version: &str) -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_date(secs / 86_400);
    let id = crate::runtime_api::new_uuid().replace('-', "");
    format!("{y:04}/{m:02}/{d:02}/[{version}]{id}")
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_uses_region_account_and_name() {
        let config = FunctionConfig::new("provider", "/x/bootstrap").with_region("eu-west-1");
        assert_eq!(
            config.arn(),
            "arn:aws:lambda:eu-west-1:000000000000:function:provider"
        );
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn invalid_values_are_named() {
        let base = FunctionConfig::new("ok", "/bin/true");
        let bad_name = FunctionConfig {
            name: "has space".into(),
            ..base.clone()
        };
        assert_eq!(
            bad_name.validate(),
            Err(FunctionConfigError::InvalidName("has space".into()))
        );
        let bad_region = base.clone().with_region("US EAST");
        assert_eq!(
            bad_region.validate(),
            Err(FunctionConfigError::InvalidRegion("US EAST".into()))
        );
        let bad_account = FunctionConfig {
            account_id: "12".into(),
            ..base.clone()
        };
        assert_eq!(
            bad_account.validate(),
            Err(FunctionConfigError::InvalidAccountId("12".into()))
        );
        assert_eq!(
            base.clone().with_max_instances(0).validate(),
            Err(FunctionConfigError::NoInstances)
        );
        for n in [0, MAX_FUNCTION_CONCURRENCY + 1] {
            assert_eq!(
                base.clone().with_max_concurrency(n).validate(),
                Err(FunctionConfigError::InvalidConcurrency(n))
            );
        }
        assert_eq!(
            base.with_timeout(Duration::ZERO).validate(),
            Err(FunctionConfigError::ZeroTimeout)
        );
    }

    #[test]
    fn sandbox_env_sets_lambda_variables_and_lets_config_env_override() {
        let config = FunctionConfig::new("f", "/opt/fn/bootstrap")
            .with_memory_mb(256)
            .with_env("AWS_REGION", "ap-south-1")
            .with_env("EXTRA", "1");
        let env = config.sandbox_env(
            "127.0.0.1:9001".parse().expect("addr"),
            "stream",
            Path::new("/opt/fn"),
        );
        let get = |k: &str| {
            env.iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("AWS_LAMBDA_RUNTIME_API"), Some("127.0.0.1:9001"));
        assert_eq!(get("AWS_LAMBDA_FUNCTION_NAME"), Some("f"));
        assert_eq!(get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), Some("256"));
        assert_eq!(get("AWS_LAMBDA_FUNCTION_VERSION"), Some("$LATEST"));
        assert_eq!(get("AWS_LAMBDA_LOG_GROUP_NAME"), Some("/aws/lambda/f"));
        assert_eq!(get("LAMBDA_TASK_ROOT"), Some("/opt/fn"));
        assert_eq!(get("_HANDLER"), Some("bootstrap"));
        assert_eq!(get("AWS_DEFAULT_REGION"), Some("us-east-1"));
        // Later entries win when the process environment is built.
        assert_eq!(get("AWS_REGION"), Some("ap-south-1"));
        assert_eq!(get("EXTRA"), Some("1"));
        assert_eq!(get("AWS_ACCESS_KEY_ID"), None);
        assert_eq!(get("AWS_LAMBDA_MAX_CONCURRENCY"), None);
        let concurrent = config.with_max_concurrency(8);
        let env = concurrent.sandbox_env(
            "127.0.0.1:9001".parse().expect("addr"),
            "stream",
            Path::new("/opt/fn"),
        );
        assert!(
            env.contains(&("AWS_LAMBDA_MAX_CONCURRENCY".to_owned(), "8".to_owned())),
            "{env:?}"
        );
    }

    #[test]
    fn civil_dates_match_known_days() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(civil_date(20_782), (2026, 11, 25));
    }

    #[test]
    fn log_stream_names_have_lambdas_shape() {
        let name = log_stream_name("$LATEST");
        let (date, rest) = name.split_at(10);
        assert_eq!(date.matches('/').count(), 2, "{name}");
        let id = rest.strip_prefix("/[$LATEST]").unwrap_or_default();
        assert_eq!(id.len(), 32, "{name}");
    }
}
