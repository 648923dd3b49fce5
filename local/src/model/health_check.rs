//! A target group's protocol version and health check: the settings as a template or a
//! `TargetGroupPolicy` writes them ([`HealthCheckSettings`], every field optional) and as Lattice
//! resolves them with its documented defaults ([`HealthCheck`]), with the status matcher.
//!
//! Defaults and ranges are Lattice's (User Guide, *Health checks for your VPC Lattice target
//! groups*; API Reference, `HealthCheckConfig`; CloudFormation, `AWS::VpcLattice::TargetGroup
//! HealthCheckConfig`): interval 30 s (5–300), timeout 5 s (1–120), healthy threshold 5 (2–10),
//! unhealthy threshold 2 (2–10), path `/`, protocol `HTTP`, protocol version `HTTP1`, the
//! traffic port, matcher `200`; enabled by default only for `HTTP1` target groups.

use std::fmt;
use std::ops::RangeInclusive;
use std::time::Duration;

/// A target group's `Config.ProtocolVersion`: how Lattice talks to the targets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProtocolVersion {
    /// `HTTP1`, the default.
    #[default]
    Http1,
    /// `HTTP2`.
    Http2,
    /// `GRPC` (HTTP/2 underneath).
    Grpc,
}

impl ProtocolVersion {
    /// Parses Lattice's name (`HTTP1`, `HTTP2`, `GRPC`).
    ///
    /// ```
    /// use lattice_local::model::ProtocolVersion;
    /// assert_eq!(ProtocolVersion::parse("GRPC"), Some(ProtocolVersion::Grpc));
    /// assert_eq!(ProtocolVersion::parse("http2"), None);
    /// ```
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "HTTP1" => Some(ProtocolVersion::Http1),
            "HTTP2" => Some(ProtocolVersion::Http2),
            "GRPC" => Some(ProtocolVersion::Grpc),
            _ => None,
        }
    }

    /// Lattice's name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::Http1 => "HTTP1",
            ProtocolVersion::Http2 => "HTTP2",
            ProtocolVersion::Grpc => "GRPC",
        }
    }

    /// Whether requests reach the targets over HTTP/2 (`HTTP2` and `GRPC`).
    pub fn is_http2(self) -> bool {
        !matches!(self, ProtocolVersion::Http1)
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A health check as written: every field optional, named as CloudFormation names them. The
/// template's `Config.HealthCheck` and a `TargetGroupPolicy`'s `healthCheck` both become one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthCheckSettings {
    /// `Enabled`.
    pub enabled: Option<bool>,
    /// `Protocol`: `HTTP` or `HTTPS`.
    pub protocol: Option<String>,
    /// `ProtocolVersion`: `HTTP1` or `HTTP2`.
    pub protocol_version: Option<String>,
    /// `Path`.
    pub path: Option<String>,
    /// `Port`.
    pub port: Option<u16>,
    /// `HealthCheckIntervalSeconds`.
    pub interval_seconds: Option<u32>,
    /// `HealthCheckTimeoutSeconds`.
    pub timeout_seconds: Option<u32>,
    /// `HealthyThresholdCount`.
    pub healthy_threshold_count: Option<u32>,
    /// `UnhealthyThresholdCount`.
    pub unhealthy_threshold_count: Option<u32>,
    /// `Matcher.HttpCode`, e.g. `200`, `200-299` or `200,204,300-399`.
    pub matcher: Option<String>,
}

/// Why a written health check is not one Lattice accepts. Each variant names the setting.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HealthCheckError {
    /// A number outside the range Lattice documents for it.
    #[error("{setting} {value} is outside {min}..={max}")]
    OutOfRange {
        /// The setting, e.g. `HealthCheckIntervalSeconds`.
        setting: &'static str,
        /// The value given.
        value: u32,
        /// Lowest allowed.
        min: u32,
        /// Highest allowed.
        max: u32,
    },
    /// `Protocol` is neither `HTTP` nor `HTTPS`.
    #[error("Protocol {0:?} is not HTTP or HTTPS")]
    Protocol(String),
    /// `ProtocolVersion` is neither `HTTP1` nor `HTTP2` (health checks cannot speak gRPC).
    #[error("ProtocolVersion {0:?} is not HTTP1 or HTTP2 (health checks do not support GRPC)")]
    ProtocolVersion(String),
    /// `Path` is not an absolute path.
    #[error("Path {0:?} does not start with /")]
    Path(String),
    /// `Matcher.HttpCode` is not a list of codes and ranges.
    #[error("Matcher.HttpCode {value:?}: {reason}")]
    Matcher {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The status codes a health check accepts: codes and inclusive ranges (`Matcher.HttpCode`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusMatcher {
    ranges: Vec<RangeInclusive<u16>>,
    written: String,
}

impl StatusMatcher {
    /// Parses `200`, `200-299`, `200,202` and mixtures. Codes must be HTTP status codes
    /// (100–599); Lattice documents no narrower range for its matcher.
    ///
    /// ```
    /// use lattice_local::model::StatusMatcher;
    /// let matcher = StatusMatcher::parse("200,204,300-399").unwrap();
    /// assert!(matcher.matches(204) && matcher.matches(302));
    /// assert!(!matcher.matches(201));
    /// assert!(StatusMatcher::parse("299-200").is_err());
    /// ```
    pub fn parse(value: &str) -> Result<Self, HealthCheckError> {
        let invalid = |reason: String| HealthCheckError::Matcher {
            value: value.to_owned(),
            reason,
        };
        let code = |text: &str| -> Result<u16, HealthCheckError> {
            text.trim()
                .parse::<u16>()
                .ok()
                .filter(|c| (100..=599).contains(c))
                .ok_or_else(|| invalid(format!("{text:?} is not an HTTP status code (100-599)")))
        };
        let mut ranges = Vec::new();
        for part in value.split(',') {
            let range = match part.split_once('-') {
                Some((low, high)) => code(low)?..=code(high)?,
                None => {
                    let single = code(part)?;
                    single..=single
                }
            };
            if range.is_empty() {
                return Err(invalid(format!("range {part:?} is empty")));
            }
            ranges.push(range);
        }
        Ok(StatusMatcher {
            ranges,
            written: value.to_owned(),
        })
    }

    /// Whether `status` passes.
    pub fn matches(&self, status: u16) -> bool {
        self.ranges.iter().any(|r| r.contains(&status))
    }
}

impl Default for StatusMatcher {
    /// `200`, Lattice's default matcher.
    fn default() -> Self {
        StatusMatcher {
            ranges: vec![200..=200],
            written: "200".to_owned(),
        }
    }
}

impl fmt::Display for StatusMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

/// A health check with Lattice's defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthCheck {
    /// Whether checks run at all (targets are then routable without them).
    pub enabled: bool,
    /// `Protocol: HTTPS`.
    pub https: bool,
    /// Checks over HTTP/2 (`ProtocolVersion: HTTP2`) rather than HTTP/1.1.
    pub http2: bool,
    /// Path and query of the check request.
    pub path: String,
    /// The port checked; `None`: the port the target receives traffic on.
    pub port: Option<u16>,
    /// Time between two checks of one target.
    pub interval: Duration,
    /// Time a target has to answer a check.
    pub timeout: Duration,
    /// Consecutive passes that make an unhealthy target healthy.
    pub healthy_threshold: u32,
    /// Consecutive failures that make a target unhealthy.
    pub unhealthy_threshold: u32,
    /// The statuses that pass.
    pub matcher: StatusMatcher,
}

impl HealthCheck {
    /// Lattice's default health check for a target group of `version`: enabled for `HTTP1`,
    /// disabled for `HTTP2` and `GRPC`.
    pub fn lattice_default(version: ProtocolVersion) -> Self {
        HealthCheck {
            enabled: version == ProtocolVersion::Http1,
            https: false,
            http2: false,
            path: "/".to_owned(),
            port: None,
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
            healthy_threshold: 5,
            unhealthy_threshold: 2,
            matcher: StatusMatcher::default(),
        }
    }

    /// No health check (`LAMBDA` and `ALB` target groups, which Lattice does not check).
    pub fn disabled() -> Self {
        HealthCheck {
            enabled: false,
            ..HealthCheck::lattice_default(ProtocolVersion::Http1)
        }
    }
}

impl HealthCheckSettings {
    /// The health check these settings make for a target group of `version`, each absent
    /// setting at Lattice's default.
    ///
    /// ```
    /// use lattice_local::model::{HealthCheckSettings, ProtocolVersion};
    /// let written = HealthCheckSettings { path: Some("/ready".into()), ..Default::default() };
    /// let check = written.resolve(ProtocolVersion::Http1).unwrap();
    /// assert_eq!((check.enabled, check.path.as_str(), check.interval.as_secs()), (true, "/ready", 30));
    /// // HTTP2 and GRPC groups are not checked unless asked.
    /// assert!(!HealthCheckSettings::default().resolve(ProtocolVersion::Grpc).unwrap().enabled);
    /// ```
    pub fn resolve(&self, version: ProtocolVersion) -> Result<HealthCheck, HealthCheckError> {
        let default = HealthCheck::lattice_default(version);
        let seconds = |setting, value: Option<u32>, min, max, default: Duration| {
            in_range(setting, value, min, max)
                .map(|v| v.map_or(default, |s| Duration::from_secs(s.into())))
        };
        let https = match self.protocol.as_deref() {
            None | Some("HTTP") => false,
            Some("HTTPS") => true,
            Some(other) => return Err(HealthCheckError::Protocol(other.to_owned())),
        };
        let http2 = match self.protocol_version.as_deref() {
            None | Some("HTTP1") => false,
            Some("HTTP2") => true,
            Some(other) => return Err(HealthCheckError::ProtocolVersion(other.to_owned())),
        };
        let path = match &self.path {
            None => default.path,
            Some(path) if path.starts_with('/') => path.clone(),
            Some(path) => return Err(HealthCheckError::Path(path.clone())),
        };
        Ok(HealthCheck {
            enabled: self.enabled.unwrap_or(default.enabled),
            https,
            http2,
            path,
            port: self.port,
            interval: seconds(
                "HealthCheckIntervalSeconds",
                self.interval_seconds,
                5,
                300,
                default.interval,
            )?,
            timeout: seconds(
                "HealthCheckTimeoutSeconds",
                self.timeout_seconds,
                1,
                120,
                default.timeout,
            )?,
            healthy_threshold: in_range(
                "HealthyThresholdCount",
                self.healthy_threshold_count,
                2,
                10,
            )?
            .unwrap_or(default.healthy_threshold),
            unhealthy_threshold: in_range(
                "UnhealthyThresholdCount",
                self.unhealthy_threshold_count,
                2,
                10,
            )?
            .unwrap_or(default.unhealthy_threshold),
            matcher: match &self.matcher {
                Some(codes) => StatusMatcher::parse(codes)?,
                None => default.matcher,
            },
        })
    }
}

fn in_range(
    setting: &'static str,
    value: Option<u32>,
    min: u32,
    max: u32,
) -> Result<Option<u32>, HealthCheckError> {
    match value {
        Some(v) if !(min..=max).contains(&v) => Err(HealthCheckError::OutOfRange {
            setting,
            value: v,
            min,
            max,
        }),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_lattices() {
        let check = HealthCheckSettings::default()
            .resolve(ProtocolVersion::Http1)
            .unwrap();
        assert_eq!(check, HealthCheck::lattice_default(ProtocolVersion::Http1));
        assert!(check.enabled && !check.https && !check.http2);
        assert_eq!(
            (check.interval, check.timeout),
            (Duration::from_secs(30), Duration::from_secs(5))
        );
        assert_eq!((check.healthy_threshold, check.unhealthy_threshold), (5, 2));
        assert_eq!((check.path.as_str(), check.port), ("/", None));
        assert!(check.matcher.matches(200) && !check.matcher.matches(204));
        for version in [ProtocolVersion::Http2, ProtocolVersion::Grpc] {
            assert!(!HealthCheck::lattice_default(version).enabled, "{version}");
        }
        let enabled = HealthCheckSettings {
            enabled: Some(true),
            protocol_version: Some("HTTP2".into()),
            ..Default::default()
        };
        let grpc = enabled.resolve(ProtocolVersion::Grpc).unwrap();
        assert!(grpc.enabled && grpc.http2);
    }

    #[test]
    fn every_setting_outside_its_range_is_named() {
        let cases = [
            (
                HealthCheckSettings {
                    interval_seconds: Some(4),
                    ..Default::default()
                },
                "HealthCheckIntervalSeconds 4 is outside 5..=300",
            ),
            (
                HealthCheckSettings {
                    timeout_seconds: Some(121),
                    ..Default::default()
                },
                "HealthCheckTimeoutSeconds 121 is outside 1..=120",
            ),
            (
                HealthCheckSettings {
                    healthy_threshold_count: Some(1),
                    ..Default::default()
                },
                "HealthyThresholdCount 1 is outside 2..=10",
            ),
            (
                HealthCheckSettings {
                    unhealthy_threshold_count: Some(11),
                    ..Default::default()
                },
                "UnhealthyThresholdCount 11 is outside 2..=10",
            ),
            (
                HealthCheckSettings {
                    protocol: Some("TCP".into()),
                    ..Default::default()
                },
                "Protocol \"TCP\" is not HTTP or HTTPS",
            ),
            (
                HealthCheckSettings {
                    protocol_version: Some("GRPC".into()),
                    ..Default::default()
                },
                "ProtocolVersion \"GRPC\" is not HTTP1 or HTTP2 (health checks do not support GRPC)",
            ),
            (
                HealthCheckSettings {
                    path: Some("health".into()),
                    ..Default::default()
                },
                "Path \"health\" does not start with /",
            ),
        ];
        for (settings, message) in cases {
            let error = settings.resolve(ProtocolVersion::Http1).unwrap_err();
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn matchers_take_codes_ranges_and_lists() {
        let matcher = StatusMatcher::parse("200-299").unwrap();
        assert!(matcher.matches(200) && matcher.matches(299));
        assert!(!matcher.matches(199) && !matcher.matches(300));
        assert_eq!(matcher.to_string(), "200-299");
        let list = StatusMatcher::parse("200,202,404").unwrap();
        assert!(list.matches(404) && !list.matches(201));
        for bad in [
            "", "2xx", "200-", "200,,204", "99", "600", "300-200", "-200",
        ] {
            let error = StatusMatcher::parse(bad).unwrap_err();
            assert!(
                matches!(&error, HealthCheckError::Matcher { value, .. } if value == bad),
                "{bad}: {error}"
            );
        }
    }
}
