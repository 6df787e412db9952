//! Timestamps as the contract writes them: RFC 3339 UTC with exactly three fractional digits and `Z`.

/// Milliseconds since the Unix epoch, by the system clock. Not in the browser: std has no clock on
/// wasm32-unknown-unknown (the browser app takes its times from the server).
#[cfg(not(target_arch = "wasm32"))]
pub fn now_ms() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Formats milliseconds since the Unix epoch as `2026-11-25T17:36:35.123Z`.
pub fn format_millis(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    if !(0..=9999).contains(&y) {
        return format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60,
            ms % 1000
        );
    }
    // Every order in every response carries two of these: digits written in place, no formatter.
    let mut out = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut v: u64| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y as u64);
    put(5, 2, u64::from(m));
    put(8, 2, u64::from(d));
    put(11, 2, rem / 3600);
    put(14, 2, rem % 3600 / 60);
    put(17, 2, rem % 60);
    put(20, 3, ms % 1000);
    String::from_utf8(out.to_vec()).expect("ASCII digits")
}

/// Milliseconds since the Unix epoch of a timestamp as `format_millis` writes it (years 0000-9999);
/// None for any other text.
pub fn parse_millis(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let shape = b"0000-00-00T00:00:00.000Z";
    if b.len() != shape.len()
        || b.iter().zip(shape).any(|(c, s)| (*s == b'0') != c.is_ascii_digit() || (*s != b'0' && c != s))
    {
        return None;
    }
    let num = |from: usize, to: usize| text[from..to].parse::<u64>().ok();
    let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, min, sec, ms) = (num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 23)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || min > 59 || sec > 59 {
        return None;
    }
    let days = u64::try_from(days_from_civil(y as i64, m as u32, d as u32)).ok()?;
    Some(((days * 86_400 + h * 3600 + min * 60 + sec) * 1000) + ms)
}

/// Milliseconds since the Unix epoch of an RFC 3339 timestamp (`2026-12-06T21:00:00Z`, with or without a
/// fraction, `Z` or an offset such as `+01:00`; fractions past milliseconds are cut), or of a whole
/// number taken as epoch milliseconds. None for anything else, or for a time before the epoch.
pub fn parse_time(text: &str) -> Option<u64> {
    if !text.is_empty() && text.len() <= 16 && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    let b = text.as_bytes();
    if b.len() < 20 || !b[10].eq_ignore_ascii_case(&b'T') {
        return None;
    }
    // The date and time to the second, in the layout `format_millis` writes.
    let mut fixed = format!("{}T{}.000Z", &text[..10], text.get(11..19)?);
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let ms: String = fraction[..digits].chars().chain("00".chars()).take(3).collect();
        fixed.replace_range(20..23, &ms);
        rest = &fraction[digits..];
    }
    let local = parse_millis(&fixed)? as i64;
    let offset_ms: i64 = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) => {
            let num = |a: &u8, b: &u8| i64::from(a - b'0') * 10 + i64::from(b - b'0');
            let (hours, minutes) = (num(h1, h2), num(m1, m2));
            if hours > 23 || minutes > 59 {
                return None;
            }
            let ms = (hours * 60 + minutes) * 60_000;
            if *sign == b'+' {
                ms
            } else {
                -ms
            }
        }
        _ => return None,
    };
    u64::try_from(local - offset_ms).ok()
}

/// (year, month, day) → days since 1970-01-01, after Howard Hinnant's `days_from_civil`.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 → (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_format_as_rfc3339_with_three_digits() {
        assert_eq!(format_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_millis(1_795_628_195_123), "2026-11-25T17:36:35.123Z");
        assert_eq!(format_millis(951_782_400_007), "2000-02-29T00:00:00.007Z");
        assert_eq!(format_millis(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
        assert_eq!(format_millis(253_402_300_800_000), "10000-01-01T00:00:00.000Z");
    }

    #[test]
    fn rfc3339_and_epoch_millis_read_as_millis() {
        let base = 1_765_054_800_000; // 2025-12-06T21:00:00.000Z
        assert_eq!(parse_time("2025-12-06T21:00:00Z"), Some(base));
        assert_eq!(parse_time("2025-12-06t21:00:00.5z"), Some(base + 500));
        assert_eq!(parse_time("2025-12-06T21:00:00.123456Z"), Some(base + 123));
        assert_eq!(parse_time("2025-12-06T22:30:00+01:30"), Some(base));
        assert_eq!(parse_time("2025-12-06T20:00:00-01:00"), Some(base));
        assert_eq!(parse_time("1765054800000"), Some(base));
        assert_eq!(parse_time("0"), Some(0));
        for bad in [
            "",
            "2025-12-06",
            "2025-12-06T21:00:00",
            "2025-12-06T21:00:00.Z",
            "2025-12-06T21:00:00+1:00",
            "2025-12-06T21:00:00+24:00",
            "-5",
            "1e3",
            "2025-13-06T21:00:00Z",
            "99999999999999999",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_timestamp_reads_back_to_its_millis() {
        for ms in [0, 1_795_628_195_123, 951_782_400_007, 253_402_300_799_999, 1_709_164_800_000] {
            assert_eq!(parse_millis(&format_millis(ms)), Some(ms), "{ms}");
        }
        for bad in ["", "2026-11-25T17:36:35.123", "2026-13-25T17:36:35.123Z", "2026-11-25 17:36:35.123Z", "x"] {
            assert_eq!(parse_millis(bad), None, "{bad}");
        }
    }
}
