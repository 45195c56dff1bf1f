//! Chunk dates as Autosubmit computes them (`bscearth.utils.date`, used by its job
//! parameters): chunks of CHUNKSIZE hours, days, months or years from the start date, in the
//! standard calendar or `noleap` (no 29 February). The noleap rules are Autosubmit's own,
//! ported literally so chunk dates and day counts match what its scripts receive.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, Timelike};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkUnit {
    Hour,
    Day,
    Month,
    Year,
}

impl ChunkUnit {
    /// CHUNKSIZEUNIT, any case; Autosubmit's default is `day`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "hour" => Some(Self::Hour),
            "" | "day" => Some(Self::Day),
            "month" => Some(Self::Month),
            "year" => Some(Self::Year),
            _ => None,
        }
    }
}

/// The calendar and chunk size of an experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkCalendar {
    pub size: i64,
    pub unit: ChunkUnit,
    pub noleap: bool,
}

/// A start date as written in DATELIST (`YYYYMMDD[hh[mm[ss]]]`).
pub fn parse_date(text: &str) -> Option<NaiveDateTime> {
    let field = |range: std::ops::Range<usize>| text.get(range).map_or(Some(0), |s| s.parse::<u32>().ok());
    let day = NaiveDate::from_ymd_opt(field(0..4)? as i32, field(4..6)?, field(6..8)?)?;
    day.and_hms_opt(field(8..10)?, field(10..12)?, field(12..14)?)
}

fn midnight(date: NaiveDateTime) -> NaiveDateTime {
    date.date().and_hms_opt(0, 0, 0).unwrap_or(date)
}

fn leap_day(year: i32) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(year, 2, 29).and_then(|d| d.and_hms_opt(0, 0, 0))
}

fn is_leap(year: i32) -> bool {
    leap_day(year).is_some()
}

fn add_months(date: NaiveDateTime, months: i64) -> NaiveDateTime {
    let shifted = match u32::try_from(months) {
        Ok(m) => date.checked_add_months(Months::new(m)),
        Err(_) => date.checked_sub_months(Months::new(u32::try_from(-months).unwrap_or(u32::MAX))),
    };
    shifted.unwrap_or(date)
}

/// bscearth `add_days` / `add_hours`: the plain sum, then one more day for every 29 February
/// passed over (and off a 29 February landed on).
fn add_skipping_leap_days(date: NaiveDateTime, amount: Duration, noleap: bool) -> NaiveDateTime {
    let mut result = date + amount;
    if noleap {
        let mut year = date.year() + i32::from(date.month() > 2);
        while year <= result.year() {
            if let Some(leap) = leap_day(year) {
                if result.year() == year && result < leap {
                    year += 1;
                    continue;
                }
                result += Duration::days(1);
            }
            year += 1;
        }
        if result.month() == 2 && result.day() == 29 {
            result += Duration::days(1);
        }
    }
    result
}

pub fn add_time(date: NaiveDateTime, amount: i64, unit: ChunkUnit, noleap: bool) -> NaiveDateTime {
    match unit {
        ChunkUnit::Year => add_months(date, amount * 12),
        ChunkUnit::Month => {
            let result = add_months(date, amount);
            match noleap && result.month() == 2 && result.day() == 29 {
                true => result - Duration::days(1),
                false => result,
            }
        }
        ChunkUnit::Day => add_skipping_leap_days(date, Duration::days(amount), noleap),
        ChunkUnit::Hour => add_skipping_leap_days(date, Duration::hours(amount), noleap),
    }
}

/// bscearth `sub_days` for the one use Autosubmit makes of it: the day before.
pub fn previous_day(date: NaiveDateTime, noleap: bool) -> NaiveDateTime {
    let mut result = date - Duration::days(1);
    if noleap {
        let mut start = date;
        while midnight(start) >= midnight(result) {
            if is_leap(start.year()) {
                if start.month() == 2 && start.day() == 29 {
                    result -= Duration::days(1);
                }
                start -= Duration::days(1);
            } else {
                start = add_months(start, -1);
            }
        }
    }
    result
}

/// bscearth `subs_dates`: whole days from `start` to `end`, leap days left out in noleap.
pub fn days_between(start: NaiveDateTime, end: NaiveDateTime, noleap: bool) -> i64 {
    let mut result = end - start;
    if noleap {
        let mut year = start.year() + i32::from(start.month() > 2);
        while year <= end.year() {
            if let Some(leap) = leap_day(year) {
                if end.year() == year && end < leap {
                    year += 1;
                    continue;
                }
                result -= Duration::days(1);
            }
            year += 1;
        }
    }
    // Python's timedelta.days rounds towards minus infinity.
    result.num_seconds().div_euclid(86_400)
}

/// Start and end of chunk `chunk` (1-based) of a member starting at `date`.
pub fn chunk_bounds(date: NaiveDateTime, chunk: i64, calendar: ChunkCalendar) -> (NaiveDateTime, NaiveDateTime) {
    let start = add_time(date, (chunk - 1) * calendar.size, calendar.unit, calendar.noleap);
    (start, add_time(start, calendar.size, calendar.unit, calendar.noleap))
}

/// bscearth `date2str`: `YYYYMMDD`, with the hour (`H`) or hour and minute (`M`) when the
/// experiment's dates carry them.
pub fn date_text(date: NaiveDateTime, width: usize) -> String {
    let text = format!("{:04}{:02}{:02}{:02}{:02}", date.year(), date.month(), date.day(), date.hour(), date.minute());
    text[..width.clamp(8, 12)].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Figures printed by bscearth.utils 0.5.2 (Autosubmit 4.1.17.1's dependency) for the
    /// same inputs: start, end, the day before the end, days in the chunk, days from the start
    /// date to the chunk's end and start, and the day before the start date.
    #[test]
    fn chunk_dates_match_autosubmits() {
        let cases = [
            ("20000101", 1, 1, "month", false, "20000101 20000201 20000131 31 31 0 19991231"),
            ("20000101", 3, 1, "month", false, "20000301 20000401 20000331 31 91 60 19991231"),
            ("20000131", 2, 1, "month", false, "20000229 20000329 20000328 29 58 29 20000130"),
            ("20000101", 2, 1, "month", true, "20000201 20000301 20000228 28 59 31 19991231"),
            ("20000101", 1, 1, "year", false, "20000101 20010101 20001231 366 366 0 19991231"),
            ("19990301", 1, 365, "day", true, "19990301 20000301 20000228 365 365 0 19990228"),
            ("20000101", 3, 10, "day", true, "20000121 20000131 20000130 10 30 20 19991231"),
            ("2000022800", 1, 24, "hour", true, "2000022800 2000030100 2000022923 1 1 0 2000022700"),
            ("20000101", 1, 6, "hour", false, "20000101 20000101 20000101 0 0 0 19991231"),
            ("20000301", 1, 1, "day", false, "20000301 20000302 20000301 1 1 0 20000229"),
            ("20000229", 2, 1, "year", false, "20010228 20020228 20020227 365 730 365 20000228"),
        ];
        for (start, chunk, size, unit, noleap, expected) in cases {
            let unit = ChunkUnit::parse(unit).unwrap();
            let date = parse_date(start).unwrap();
            let (from, to) = chunk_bounds(date, chunk, ChunkCalendar { size, unit, noleap });
            let before_end = match unit {
                ChunkUnit::Hour => to - Duration::hours(1),
                _ => previous_day(to, noleap),
            };
            let width = start.len();
            let got = format!(
                "{} {} {} {} {} {} {}",
                date_text(from, width),
                date_text(to, width),
                date_text(before_end, width),
                days_between(from, to, noleap),
                days_between(date, to, noleap),
                days_between(date, from, noleap),
                date_text(previous_day(date, noleap), width),
            );
            assert_eq!(got, expected, "{start} chunk {chunk} of {size} {unit:?} noleap={noleap}");
        }
    }
}
