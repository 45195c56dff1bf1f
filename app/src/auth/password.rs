//! Local passwords: checked against a simple policy, hashed with Argon2id (the crate's
//! defaults, OWASP's recommended parameters) and verified off the async runtime, since one
//! hash costs tens of milliseconds of CPU by design.

use crate::error::HindcastError;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 1024;

/// A password that passed the policy; its text never reaches logs (no `Debug` of the value).
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Password {
    /// Trailing line breaks are dropped (what `--password-stdin` reads ends with one).
    pub fn parse(raw: &str) -> Result<Self, HindcastError> {
        let text = raw.trim_end_matches(['\n', '\r']);
        let chars = text.chars().count();
        if chars < MIN_LEN {
            return Err(HindcastError::invalid("password", format!("must be at least {MIN_LEN} characters")));
        }
        if text.len() > MAX_LEN {
            return Err(HindcastError::invalid("password", format!("must be at most {MAX_LEN} bytes")));
        }
        if text.trim().is_empty() {
            return Err(HindcastError::invalid("password", "must not be only spaces"));
        }
        Ok(Self(text.to_owned()))
    }
}

/// The PHC string of a fresh Argon2id hash.
pub async fn hash(password: Password) -> Result<String, HindcastError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.0.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|err| internal("hashing task", &err))?
    .map_err(|err| internal("hashing", &err))
}

/// Whether `candidate` matches the stored hash. With no hash (an unknown user, or an account
/// without a local password) a dummy hash is checked all the same, so the answer takes as
/// long and tells nothing about which accounts exist.
pub async fn verify(stored: Option<String>, candidate: &str) -> bool {
    let candidate = candidate.to_owned();
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let Ok(parsed) = PasswordHash::new(&phc) else { return false };
        Argon2::default().verify_password(candidate.as_bytes(), &parsed).is_ok() && known
    })
    .await
    .unwrap_or(false)
}

/// An Argon2id hash (default parameters) of a random password nobody knows.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$CxKUuJqiZg7NqwPeVqW7y5fI1dd3HLn8Uv7iFa7zU2Y";

fn internal(what: &str, err: &dyn std::fmt::Display) -> HindcastError {
    tracing::error!(error = %err, "password {what} failed");
    HindcastError::Internal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let stored = hash(Password::parse("correct horse battery\n").unwrap()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(Some(stored.clone()), "correct horse battery").await);
        assert!(!verify(Some(stored), "correct horse batterY").await);
        assert!(!verify(None, "anything at all").await);
        assert!(!verify(Some("not a hash".into()), "anything at all").await);
    }

    #[test]
    fn the_policy_names_what_is_wrong() {
        assert_eq!(Password::parse("short").unwrap_err().to_string(), "password: must be at least 10 characters");
        assert!(Password::parse(&" ".repeat(12)).is_err());
        assert!(Password::parse(&"x".repeat(1025)).is_err());
        assert_eq!(format!("{:?}", Password::parse("0123456789").unwrap()), "Password(…)");
    }
}
