//! `x-amz-date` (`YYYYMMDDTHHMMSSZ`) and the ±15 minute clock-skew rule.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::error::AuthFailure;

/// The largest accepted difference between `x-amz-date` and the server clock.
pub(crate) const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// Parses `YYYYMMDDTHHMMSSZ` (UTC).
pub(crate) fn parse_amz_date(value: &str) -> Result<SystemTime, AuthFailure> {
    let invalid = || AuthFailure::InvalidDate(format!("{value:?} is not YYYYMMDDTHHMMSSZ"));
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return Err(invalid());
    }
    let number = |range: std::ops::Range<usize>| -> Result<u32, AuthFailure> {
        let digits = &b[range];
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(invalid());
        }
        Ok(digits
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
    };
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    if !(1970..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(invalid());
    }
    let days = days_since_epoch(year, month, day);
    let seconds = days * 86_400 + u64::from(hour * 3600 + minute * 60 + second);
    Ok(UNIX_EPOCH + Duration::from_secs(seconds))
}

/// Rejects a request date more than [`MAX_SKEW`] away from `now`.
pub(crate) fn check_skew(
    amz_date: &str,
    date: SystemTime,
    now: SystemTime,
) -> Result<(), AuthFailure> {
    let (skew, direction) = match now.duration_since(date) {
        Ok(behind) => (behind, "before"),
        Err(ahead) => (ahead.duration(), "after"),
    };
    if skew > MAX_SKEW {
        return Err(AuthFailure::ExpiredOrFutureDate {
            amz_date: amz_date.to_owned(),
            skew_seconds: skew.as_secs(),
            direction,
        });
    }
    Ok(())
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_since_epoch(year: u32, month: u32, day: u32) -> u64 {
    let mut days: u64 = (1970..year)
        .map(|y| if is_leap(y) { 366 } else { 365 })
        .sum();
    days += (1..month)
        .map(|m| u64::from(days_in_month(year, m)))
        .sum::<u64>();
    days + u64::from(day - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_instants() {
        let t = parse_amz_date("20150830T123600Z").expect("valid");
        assert_eq!(t, UNIX_EPOCH + Duration::from_secs(1_440_938_160));
        let leap = parse_amz_date("20240229T000000Z").expect("leap day");
        assert_eq!(leap, UNIX_EPOCH + Duration::from_secs(1_709_164_800));
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in [
            "2015-08-30T12:36:00Z",
            "20150830T123600",
            "20150230T123600Z",
            "20151330T000000Z",
            "2015083OT123600Z",
        ] {
            assert!(
                matches!(parse_amz_date(bad), Err(AuthFailure::InvalidDate(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn skew_limit_is_fifteen_minutes_each_way() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(check_skew("x", now - MAX_SKEW, now).is_ok());
        assert!(check_skew("x", now + MAX_SKEW, now).is_ok());
        let late = check_skew("x", now - MAX_SKEW - Duration::from_secs(1), now);
        assert!(matches!(
            late,
            Err(AuthFailure::ExpiredOrFutureDate {
                direction: "before",
                skew_seconds: 901,
                ..
            })
        ));
        let early = check_skew("x", now + MAX_SKEW + Duration::from_secs(1), now);
        assert!(matches!(
            early,
            Err(AuthFailure::ExpiredOrFutureDate {
                direction: "after",
                ..
            })
        ));
    }
}
