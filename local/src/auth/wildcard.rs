//! IAM-style wildcard matching: `*` matches any run of characters, `?` exactly one.

/// Whether `text` matches `pattern`; `ignore_case` compares ASCII letters case-insensitively.
pub(crate) fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let same = |a: u32, b: u32| {
        a == b || (ignore_case && a < 128 && b < 128 && (a as u8).eq_ignore_ascii_case(&(b as u8)))
    };
    if pattern.contains('?') && !text.is_ascii() {
        // `?` is one character, so multi-byte text has to be compared by character.
        let p: Vec<u32> = pattern.chars().map(u32::from).collect();
        let t: Vec<u32> = text.chars().map(u32::from).collect();
        return match_units(&p, &t, same);
    }
    // Byte-wise `*` matching is exact for UTF-8: a literal's lead byte never equals a
    // continuation byte, so a `*` cannot stop inside a character and still match.
    match_iter(
        pattern.bytes().map(u32::from),
        text.bytes().map(u32::from),
        same,
    )
}

fn match_iter(
    pattern: impl ExactSizeIterator<Item = u32> + Clone,
    text: impl ExactSizeIterator<Item = u32> + Clone,
    same: impl Fn(u32, u32) -> bool,
) -> bool {
    // Patterns and texts are short (ARNs, paths, header values); a stack copy keeps this
    // allocation-free for the common case.
    let mut p_buf = [0u32; 256];
    let mut t_buf = [0u32; 512];
    if pattern.len() <= p_buf.len() && text.len() <= t_buf.len() {
        let (pl, tl) = (pattern.len(), text.len());
        for (slot, unit) in p_buf.iter_mut().zip(pattern) {
            *slot = unit;
        }
        for (slot, unit) in t_buf.iter_mut().zip(text) {
            *slot = unit;
        }
        return match_units(&p_buf[..pl], &t_buf[..tl], same);
    }
    let p: Vec<u32> = pattern.collect();
    let t: Vec<u32> = text.collect();
    match_units(&p, &t, same)
}

/// Linear backtracking over the last `*` (no recursion).
fn match_units(p: &[u32], t: &[u32], same: impl Fn(u32, u32) -> bool) -> bool {
    const STAR: u32 = '*' as u32;
    const ANY: u32 = '?' as u32;
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == ANY || (p[pi] != STAR && same(p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == STAR {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((star_pi, star_ti)) = star {
            // Let the last `*` swallow one more unit and retry.
            pi = star_pi + 1;
            ti = star_ti + 1;
            star = Some((star_pi, star_ti + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == STAR)
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn stars_and_question_marks() {
        assert!(wildcard_match("*", "", false));
        assert!(wildcard_match(
            "arn:aws:*:svc-1/*",
            "arn:aws:x:svc-1/a/b",
            false
        ));
        assert!(!wildcard_match(
            "arn:aws:*:svc-1/*",
            "arn:aws:x:svc-2/a",
            false
        ));
        assert!(wildcard_match("/app/?", "/app/x", false));
        assert!(!wildcard_match("/app/?", "/app/xy", false));
        assert!(wildcard_match("a*b*c", "aXXbYYbc", false));
        assert!(!wildcard_match("a*b*c", "aXXbYYb", false));
        assert!(!wildcard_match("GET", "get", false));
        assert!(wildcard_match("GET", "get", true));
        assert!(wildcard_match("é*", "été", false));
        assert!(wildcard_match("?t?", "été", false));
        assert!(wildcard_match("?", "é", false));
        let long = "x".repeat(1000);
        assert!(wildcard_match("x*x", &long, false));
    }
}
