//! The crypto provider of every TLS connection lattice-local makes or accepts: aws-lc-rs (the
//! stack reqwest already brings in), limited to the cipher suites of Lattice's security policy.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::crypto::aws_lc_rs::{cipher_suite, default_provider};

/// aws-lc-rs with the cipher suites Lattice's HTTPS listeners offer that rustls implements, in
/// Lattice's order of preference (User Guide, *HTTPS listeners*, "Security policy"): TLS 1.3
/// `TLS_AES_128_GCM_SHA256`, `TLS_AES_256_GCM_SHA384`, `TLS_CHACHA20_POLY1305_SHA256`; TLS 1.2
/// `ECDHE-RSA-AES128-GCM-SHA256`, `ECDHE-RSA-AES256-GCM-SHA384`. Lattice's TLS 1.2 list also
/// has CBC suites (`ECDHE-RSA-AES128-SHA`, …) and RSA key exchange (`AES128-GCM-SHA256`, …),
/// which rustls does not implement: a client that offers nothing else is refused locally
/// (such clients are rare; every current TLS library offers an ECDHE-GCM suite).
pub fn lattice_provider() -> Arc<CryptoProvider> {
    let mut provider = default_provider();
    provider.cipher_suites = vec![
        cipher_suite::TLS13_AES_128_GCM_SHA256,
        cipher_suite::TLS13_AES_256_GCM_SHA384,
        cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
        cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ];
    Arc::new(provider)
}
