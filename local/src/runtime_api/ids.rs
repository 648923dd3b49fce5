//! Identifiers in the shapes Lambda uses: request ids and extension ids are UUIDs,
//! trace ids are X-Ray `Root=1-…` headers.

use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// 64 unpredictable bits per call: a process-wide keyed hash of a counter, so ids never
/// repeat within a process and differ between processes, without a RNG dependency.
fn random_u64() -> u64 {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    KEYS.get_or_init(RandomState::new).hash_one(n)
}

/// A random version-4 UUID, lower-case and hyphenated, as Lambda request ids are.
pub fn new_uuid() -> String {
    let hi = random_u64();
    let lo = random_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0x0fff,
        // Variant bits `10xx`.
        ((lo >> 48) & 0x3fff) | 0x8000,
        lo & 0xffff_ffff_ffff
    )
}

/// A fresh X-Ray trace header (`Root=1-<epoch hex>-<96 bits>;Parent=<64 bits>;Sampled=0`),
/// the format Lambda passes in `Lambda-Runtime-Trace-Id`.
pub fn new_trace_id() -> String {
    let epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "Root=1-{:08x}-{:08x}{:016x};Parent={:016x};Sampled=0",
        epoch & 0xffff_ffff,
        random_u64() & 0xffff_ffff,
        random_u64(),
        random_u64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_have_the_v4_shape_and_do_not_repeat() {
        let a = new_uuid();
        let b = new_uuid();
        assert_ne!(a, b);
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'), "{a}");
        assert!(
            matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
            "{a}"
        );
        assert!(a.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
    }

    #[test]
    fn trace_ids_have_the_xray_shape() {
        let t = new_trace_id();
        let root = t
            .strip_prefix("Root=1-")
            .and_then(|rest| rest.split(';').next())
            .unwrap_or_default();
        let (epoch, id) = root.split_once('-').unwrap_or_default();
        assert_eq!((epoch.len(), id.len()), (8, 24), "{t}");
        assert!(t.contains(";Parent=") && t.ends_with(";Sampled=0"), "{t}");
    }
}
