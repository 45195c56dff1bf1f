//! Scheduled runs: a run may wait until a time (`start_at`, RFC 3339) and repeat at a fixed
//! interval (`repeat_every`, as `90s`, `15m`, `6h`, `1d`, `1w` or sums such as `1h30m`). A
//! repeating run queues its next occurrence when it starts; occurrences missed while the
//! server was down are skipped, not piled up. Interactive runs go before scheduled ones.

use chrono::{DateTime, Utc};

/// The shortest and longest repeat interval.
pub const MIN_EVERY_SECONDS: i64 = 60;
pub const MAX_AHEAD_SECONDS: i64 = 366 * 86_400;

const UNITS: [(char, i64); 5] = [('w', 604_800), ('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

/// `repeat_every` in seconds.
pub fn parse_every(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (mut total, mut number) = (0i64, String::new());
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = UNITS.iter().find(|(u, _)| *u == c.to_ascii_lowercase()).map(|(_, s)| *s);
        let (Some(unit), Ok(n)) = (unit, number.parse::<i64>()) else {
            return Err(format!("'{text}' is not an interval such as 90s, 15m, 6h, 1d or 1h30m"));
        };
        total = total.saturating_add(n.saturating_mul(unit));
        number.clear();
    }
    if !number.is_empty() || total == 0 {
        return Err(format!("'{text}' is not an interval such as 90s, 15m, 6h, 1d or 1h30m (a unit is needed)"));
    }
    if !(MIN_EVERY_SECONDS..=MAX_AHEAD_SECONDS).contains(&total) {
        return Err(format!("'{text}' must be from 1 minute to 366 days"));
    }
    Ok(total)
}

/// An interval as `parse_every` reads it, largest units first.
pub fn format_every(mut seconds: i64) -> String {
    let mut text = String::new();
    for (unit, size) in UNITS {
        if seconds >= size {
            text.push_str(&format!("{}{unit}", seconds / size));
            seconds %= size;
        }
    }
    text
}

/// `start_at`: now or later (a minute of clock skew is forgiven), within 366 days.
pub fn parse_start(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let at = DateTime::parse_from_rfc3339(text.trim())
        .map_err(|_| format!("'{text}' is not a time such as 2026-12-01T06:00:00Z"))?
        .with_timezone(&Utc);
    if at < now - chrono::Duration::seconds(60) {
        return Err(format!("{} has passed", at.to_rfc3339()));
    }
    if at > now + chrono::Duration::seconds(MAX_AHEAD_SECONDS) {
        return Err("must be within 366 days".into());
    }
    Ok(at)
}

/// The first occurrence after `now` of a series that started at `start` (seconds since 1970).
pub fn next_occurrence(start: i64, every: i64, now: i64) -> i64 {
    if every <= 0 {
        return now;
    }
    let periods = ((now - start) / every + 1).max(1);
    start + periods * every
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_and_print_alike() {
        assert_eq!(parse_every("6h"), Ok(21_600));
        assert_eq!(parse_every(" 1h30m "), Ok(5_400));
        assert_eq!(parse_every("1W"), Ok(604_800));
        assert_eq!(format_every(5_400), "1h30m");
        assert_eq!(format_every(90_061), "1d1h1m1s");
        for bad in ["", "6", "h", "30s", "6x", "400d", "-1h"] {
            assert!(parse_every(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn starts_are_now_or_later_and_series_skip_what_was_missed() {
        let now = DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z").unwrap().with_timezone(&Utc);
        assert!(parse_start("2026-11-29T13:00:00+01:00", now).is_ok());
        assert!(parse_start("2026-11-29T11:58:00Z", now).unwrap_err().contains("has passed"));
        assert!(parse_start("2028-01-01T00:00:00Z", now).is_err());
        assert!(parse_start("tomorrow", now).is_err());
        assert_eq!(next_occurrence(1_000, 100, 1_000), 1_100);
        assert_eq!(next_occurrence(1_000, 100, 1_350), 1_400, "missed occurrences are skipped");
        assert_eq!(next_occurrence(1_000, 100, 900), 1_100);
    }
}
