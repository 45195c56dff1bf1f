//! Failed logins counted per account and per client address, in a fixed window: past the
//! limit, further attempts are refused (429) without checking any password, until the window
//! ends. Kept in memory, so each server counts on its own; a success clears the account's count.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures allowed per account in a window (a person mistyping is far below).
pub const PER_ACCOUNT: u32 = 10;
/// Failures allowed per client address in a window (a few people behind one NAT).
pub const PER_ADDRESS: u32 = 50;
/// Entries kept before old windows are swept out (bounds memory under a spray of names).
const SWEEP_AT: usize = 10_000;

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<Key, (Instant, u32)>>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Address(IpAddr),
}

impl Throttle {
    /// `Err(wait)` when the account or the address has failed too often lately.
    pub fn check(&self, account: &str, address: Option<IpAddr>) -> Result<(), Duration> {
        let now = Instant::now();
        let failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let over = |key: Key, limit: u32| {
            failures.get(&key).and_then(|&(start, count)| {
                let left = WINDOW.checked_sub(now.duration_since(start))?;
                (count >= limit).then_some(left)
            })
        };
        match over(Key::Account(account.to_lowercase()), PER_ACCOUNT).or_else(|| address.and_then(|a| over(Key::Address(a), PER_ADDRESS))) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    pub fn failed(&self, account: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if failures.len() >= SWEEP_AT {
            failures.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let keys = std::iter::once(Key::Account(account.to_lowercase())).chain(address.map(Key::Address));
        for key in keys {
            let entry = failures.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= WINDOW {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
    }

    pub fn succeeded(&self, account: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.remove(&Key::Account(account.to_lowercase()));
    }
}

/// The answer's text for a refused attempt.
pub fn message(wait: Duration) -> String {
    format!("Too many failed logins; try again in {} minute(s).", wait.as_secs().div_ceil(60).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_locked_after_its_failures_and_a_success_clears_it() {
        let throttle = Throttle::default();
        let here = Some(IpAddr::from([127, 0, 0, 1]));
        for _ in 0..PER_ACCOUNT {
            assert!(throttle.check("Ana", here).is_ok());
            throttle.failed("Ana", here);
        }
        let wait = throttle.check("ana", here).unwrap_err();
        assert!(wait <= WINDOW && wait > WINDOW - Duration::from_secs(5));
        assert!(throttle.check("ben", here).is_ok(), "other accounts from the same address still may");
        throttle.succeeded("ANA");
        assert!(throttle.check("ana", here).is_ok());
    }

    #[test]
    fn an_address_spraying_names_is_locked() {
        let throttle = Throttle::default();
        let there = Some(IpAddr::from([10, 0, 0, 9]));
        for i in 0..PER_ADDRESS {
            throttle.failed(&format!("user{i}"), there);
        }
        assert!(throttle.check("someone-new", there).is_err());
        assert!(throttle.check("someone-new", Some(IpAddr::from([10, 0, 0, 8]))).is_ok());
        assert_eq!(message(Duration::from_secs(61)), "Too many failed logins; try again in 2 minute(s).");
    }
}
