//! EXPERIMENT.DATELIST as Autosubmit reads it (`get_date_list` in its `configcommon.py`):
//! whitespace-separated dates, a YAML list of dates, and the bracket forms, where a word
//! followed by a bracketed list prefixes each of its items and `a-b` in the list is a range
//! of numbers as wide as `a`:
//! `19600101 1961[0101 0201]` → 19600101 19610101 19610201;
//! `2000[0101-0103]` → 20000101 20000102 20000103.
//! Every result must be a real date, `YYYYMMDD` with optional `hh`, `mm`, `ss`.

const KEY: &str = "EXPERIMENT.DATELIST";
/// More start dates than anyone runs; a typo in a range (`2000[0101-9999]`) stops here.
const MAX_DATES: usize = 100_000;

#[derive(Debug, PartialEq)]
enum Item {
    Word(String),
    List(Vec<Item>),
}

/// The dates of a DATELIST text, as written (8 to 14 digits each), in order.
pub(super) fn expand(text: &str) -> Result<Vec<String>, String> {
    let text = text.trim();
    let wrapped = if text.starts_with('[') { text.to_owned() } else { format!("[{text}]") };
    let mut chars = wrapped.chars().peekable();
    chars.next(); // the outer '['
    let Item::List(top) = list(&mut chars)? else { unreachable!("list() answers a list") };
    if chars.any(|c| !c.is_whitespace()) {
        return Err(format!("{KEY}: text after the closing ']' of '{text}'"));
    }
    let mut dates = Vec::new();
    let mut prefix: Option<String> = None;
    for item in top {
        match item {
            Item::Word(word) => {
                if let Some(date) = prefix.replace(word) {
                    dates.push(date);
                }
            }
            Item::List(inner) => {
                let Some(start) = prefix.take() else {
                    return Err(format!("{KEY}: a bracketed list must follow the start of a date, as in 2000[0101 0201]"));
                };
                for entry in inner {
                    let Item::Word(entry) = entry else {
                        return Err(format!("{KEY}: brackets nest only one level deep"));
                    };
                    match entry.split_once('-') {
                        Some((from, to)) => {
                            let bad = || format!("{KEY}: '{entry}' is not a range of numbers like 0101-0105");
                            let (a, b) = (from.parse::<u64>().map_err(|_| bad())?, to.parse::<u64>().map_err(|_| bad())?);
                            if b.saturating_sub(a) as usize >= MAX_DATES {
                                return Err(format!("{KEY}: the range '{entry}' gives more than {MAX_DATES} dates"));
                            }
                            for n in a..=b {
                                dates.push(format!("{start}{n:0width$}", width = from.len()));
                            }
                        }
                        None => dates.push(format!("{start}{entry}")),
                    }
                    if dates.len() > MAX_DATES {
                        return Err(format!("{KEY}: more than {MAX_DATES} start dates"));
                    }
                }
            }
        }
    }
    dates.extend(prefix);
    for date in &dates {
        check(date)?;
    }
    Ok(dates)
}

/// One bracketed level, after its '[': words and nested lists up to the matching ']'.
fn list(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<Item, String> {
    let mut items = Vec::new();
    let mut word = String::new();
    loop {
        let Some(c) = chars.next() else {
            return Err(format!("{KEY}: a '[' is never closed"));
        };
        if (c == '[' || c == ']' || c.is_whitespace()) && !word.is_empty() {
            items.push(Item::Word(std::mem::take(&mut word)));
        }
        match c {
            '[' => items.push(list(chars)?),
            ']' => return Ok(Item::List(items)),
            c if c.is_whitespace() => {}
            c => word.push(c),
        }
    }
}

/// Autosubmit's `parse_date`: `YYYYMMDD[hh[mm[ss]]]`, a real date and time.
pub(super) fn check(date: &str) -> Result<(), String> {
    let digits = date.bytes().all(|b| b.is_ascii_digit());
    if !digits || !matches!(date.len(), 8 | 10 | 12 | 14) {
        return Err(format!("{KEY}: '{date}' is not a date (YYYYMMDD, optionally with hh, mm and ss)"));
    }
    let field = |range: std::ops::Range<usize>| date.get(range).map_or(0, |s| s.parse::<u32>().unwrap_or(99));
    let real = chrono::NaiveDate::from_ymd_opt(field(0..4) as i32, field(4..6), field(6..8)).is_some()
        && field(8..10) < 24
        && field(10..12) < 60
        && field(12..14) < 60;
    if !real {
        return Err(format!("{KEY}: '{date}' is not a real date"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn plain_bracket_and_range_forms() {
        assert_eq!(expand("20000101 20000201").unwrap(), ["20000101", "20000201"]);
        assert_eq!(expand("19600101 1961[0101 0201]").unwrap(), ["19600101", "19610101", "19610201"]);
        assert_eq!(expand("2000[0101-0103] 2001[0101]").unwrap(), ["20000101", "20000102", "20000103", "20010101"]);
        assert_eq!(expand("[19600101 19650101]").unwrap(), ["19600101", "19650101"]);
        assert_eq!(expand("2000010112").unwrap(), ["2000010112"]);
        assert_eq!(expand("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn bad_lists_name_the_key_and_the_problem() {
        for (text, problem) in [
            ("20000132", "not a real date"),
            ("2000[0130-0132]", "not a real date"),
            ("2000-01-01", "not a date"),
            ("2000[0101", "never closed"),
            ("[[0101 0201]]", "must follow the start of a date"),
            ("2000[01[01]]", "one level deep"),
            ("2000[aa-bb]", "not a range of numbers"),
            ("2000[0000-9999999]", "more than"),
        ] {
            let message = expand(text).unwrap_err();
            assert!(message.starts_with("EXPERIMENT.DATELIST: "), "{text}: {message}");
            assert!(message.contains(problem), "{text}: {message}");
        }
    }
}
