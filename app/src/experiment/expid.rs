//! Experiment ids, allocated as Autosubmit allocates them: the base-36 successor of the highest
//! id already used by the same kind, at least four characters (`a000`, `a001` … `a00z`,
//! `a010` … `azzz`, `b000` …).

use super::ExperimentKind;
use crate::error::HindcastError;
use serde::{Deserialize, Serialize};
use std::fmt;

const MIN_LEN: usize = 4;
/// Ids longer than this are not something Autosubmit or Hindcast ever allocates.
const MAX_LEN: usize = 8;

/// A validated experiment id: lowercase ASCII letters and digits, 4 to 8 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Expid(String);

impl Expid {
    pub fn parse(raw: &str) -> Result<Self, HindcastError> {
        let id = raw.trim().to_ascii_lowercase();
        let well_formed = (MIN_LEN..=MAX_LEN).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
        if well_formed {
            Ok(Self(id))
        } else {
            Err(HindcastError::invalid(
                "expid",
                format!("'{raw}' is not an experiment id (4 to 8 letters or digits, like a000)"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first id of a kind, used when it has none yet.
    pub fn first_of(kind: ExperimentKind) -> Self {
        Self(format!("{}000", kind.id_prefix()))
    }

    /// The id following `self` for an experiment of `kind`, or `None` when that kind has no
    /// ids left. Standard experiments skip the first letters reserved for the other kinds, so
    /// `dzzz` is followed by `f000`, never by an id that reads as an evaluation.
    pub fn successor(&self, kind: ExperimentKind) -> Option<Self> {
        let mut next = increment_base36(&self.0);
        loop {
            if next.len() > MAX_LEN {
                return None;
            }
            let first = next.as_bytes()[0];
            match kind {
                ExperimentKind::Experiment if ExperimentKind::is_reserved_prefix(first) => {
                    // Jump to the first id after the reserved letter's whole block.
                    let mut block = next.clone().into_bytes();
                    block[1..].fill(b'z');
                    next = increment_base36(std::str::from_utf8(&block).ok()?);
                }
                ExperimentKind::Experiment => return Some(Self(next)),
                other if first == other.id_prefix() as u8 && next.len() == self.0.len() => {
                    return Some(Self(next));
                }
                _ => return None,
            }
        }
    }
}

fn digit_value(b: u8) -> u32 {
    (b as char).to_digit(36).expect("expid holds only base-36 digits")
}

fn digit_char(v: u32) -> u8 {
    std::char::from_digit(v, 36).expect("value below 36") as u8
}

/// Adds one to a base-36 number written in lowercase, keeping at least four digits.
fn increment_base36(id: &str) -> String {
    let mut digits: Vec<u8> = id.bytes().collect();
    for i in (0..digits.len()).rev() {
        let v = digit_value(digits[i]) + 1;
        if v < 36 {
            digits[i] = digit_char(v);
            return String::from_utf8(digits).expect("ascii");
        }
        digits[i] = b'0';
    }
    digits.insert(0, b'1');
    let s = String::from_utf8(digits).expect("ascii");
    format!("{s:0>MIN_LEN$}")
}

impl fmt::Display for Expid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Expid {
    type Error = HindcastError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Expid> for String {
    fn from(value: Expid) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExperimentKind::*;

    fn next(id: &str, kind: ExperimentKind) -> Option<String> {
        Expid::parse(id).unwrap().successor(kind).map(|e| e.0)
    }

    #[test]
    fn increments_in_base_36() {
        assert_eq!(next("a000", Experiment).as_deref(), Some("a001"));
        assert_eq!(next("a009", Experiment).as_deref(), Some("a00a"));
        assert_eq!(next("a00z", Experiment).as_deref(), Some("a010"));
        assert_eq!(next("a0zz", Experiment).as_deref(), Some("a100"));
        assert_eq!(next("azzz", Experiment).as_deref(), Some("b000"));
    }

    #[test]
    fn standard_ids_skip_letters_of_other_kinds() {
        assert_eq!(next("dzzz", Experiment).as_deref(), Some("f000"));
        assert_eq!(next("nzzz", Experiment).as_deref(), Some("p000"));
        assert_eq!(next("szzz", Experiment).as_deref(), Some("u000"));
        assert_eq!(next("zzzz", Experiment).as_deref(), Some("10000"));
    }

    #[test]
    fn other_kinds_stay_within_their_letter() {
        assert_eq!(next("t000", Test).as_deref(), Some("t001"));
        assert_eq!(next("o00z", Operational).as_deref(), Some("o010"));
        assert_eq!(next("e123", Evaluation).as_deref(), Some("e124"));
        assert_eq!(next("tzzz", Test), None);
    }

    #[test]
    fn first_ids() {
        assert_eq!(Expid::first_of(Experiment).as_str(), "a000");
        assert_eq!(Expid::first_of(Test).as_str(), "t000");
        assert_eq!(Expid::first_of(Operational).as_str(), "o000");
        assert_eq!(Expid::first_of(Evaluation).as_str(), "e000");
    }

    #[test]
    fn parse_normalises_and_rejects() {
        assert_eq!(Expid::parse(" A00B ").unwrap().as_str(), "a00b");
        for bad in ["", "a00", "a0-0", "a00é", "abcdefghi", "../a"] {
            assert!(Expid::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
