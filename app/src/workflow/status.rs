//! Autosubmit's job statuses with their numeric codes, as stored and as the API names them.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum JobStatus {
    Suspended,
    Unknown,
    Failed,
    Waiting,
    Ready,
    Submitted,
    Queuing,
    Running,
    Completed,
    Held,
    Prepared,
    Skipped,
    Delayed,
}

impl JobStatus {
    /// Every status, in Autosubmit's code order (−3 … 9).
    pub const ALL: [JobStatus; 13] = [
        Self::Suspended,
        Self::Unknown,
        Self::Failed,
        Self::Waiting,
        Self::Ready,
        Self::Submitted,
        Self::Queuing,
        Self::Running,
        Self::Completed,
        Self::Held,
        Self::Prepared,
        Self::Skipped,
        Self::Delayed,
    ];

    /// Autosubmit's numeric code (SUSPENDED −3 … DELAYED 9).
    pub fn code(self) -> i32 {
        Self::ALL.iter().position(|s| *s == self).map_or(-2, |i| i as i32 - 3)
    }

    pub fn from_code(code: i32) -> Option<Self> {
        usize::try_from(code + 3).ok().and_then(|i| Self::ALL.get(i).copied())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suspended => "SUSPENDED",
            Self::Unknown => "UNKNOWN",
            Self::Failed => "FAILED",
            Self::Waiting => "WAITING",
            Self::Ready => "READY",
            Self::Submitted => "SUBMITTED",
            Self::Queuing => "QUEUING",
            Self::Running => "RUNNING",
            Self::Completed => "COMPLETED",
            Self::Held => "HELD",
            Self::Prepared => "PREPARED",
            Self::Skipped => "SKIPPED",
            Self::Delayed => "DELAYED",
        }
    }

    /// Whether a parent in this status lets its children run over a plain edge.
    pub fn lets_children_run(self) -> bool {
        matches!(self, Self::Completed | Self::Skipped)
    }

    /// Whether a parent in this status lets a child run over an edge whose dependency names
    /// `condition` (Autosubmit's STATUS): the parent is done, or has reached the condition in
    /// Autosubmit's `LOGICAL_ORDER` (so `RUNNING` is met by RUNNING, FAILED or COMPLETED).
    pub fn meets(self, condition: Option<JobStatus>) -> bool {
        self.lets_children_run() || condition.is_some_and(|c| self.logical_rank() >= c.logical_rank())
    }

    /// The place in Autosubmit's `Status.LOGICAL_ORDER`, the order a job's life goes through.
    pub fn logical_rank(self) -> u8 {
        match self {
            Self::Suspended => 0,
            Self::Waiting => 1,
            Self::Delayed => 2,
            Self::Prepared => 3,
            Self::Ready => 4,
            Self::Submitted => 5,
            Self::Held => 6,
            Self::Queuing => 7,
            Self::Running => 8,
            Self::Skipped => 9,
            Self::Failed => 10,
            Self::Unknown => 11,
            Self::Completed => 12,
        }
    }

    /// Case-insensitive name, as users type it.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// The message autosubmit-api gives for an unknown status, listing the valid names.
    pub fn allowed_values() -> String {
        let mut names: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
        names.sort_unstable();
        format!("Invalid job status. Allowed values: {}", names.join(", "))
    }

    /// The CSS class carrying the status colour token.
    pub fn css_class(self) -> String {
        format!("job-status job-status-{}", self.as_str().to_ascii_lowercase())
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_autosubmits() {
        assert_eq!(JobStatus::Suspended.code(), -3);
        assert_eq!(JobStatus::Failed.code(), -1);
        assert_eq!(JobStatus::Waiting.code(), 0);
        assert_eq!(JobStatus::Completed.code(), 5);
        assert_eq!(JobStatus::Delayed.code(), 9);
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::from_code(status.code()), Some(status));
            assert_eq!(JobStatus::parse(&status.as_str().to_lowercase()), Some(status));
        }
        assert_eq!(JobStatus::from_code(10), None);
        assert_eq!(JobStatus::parse("BOGUS"), None);
    }
}
