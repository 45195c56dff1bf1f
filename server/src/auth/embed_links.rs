//! Signed, expiring read-only links to one experiment's embedded views, for portals that
//! frame a private experiment (under `PROTECTION_LEVEL=ALL`). A link carries
//! `embed=<expid>.<generation>.<expiry>.<signature>`: HMAC-SHA256 with a key derived from
//! `SECRET_KEY`, so it cannot be made or stretched without the key, and it opens reading of
//! that experiment only. Links end at their expiry, when the experiment's owner revokes its
//! links (its generation is raised), and all at once when `SECRET_KEY` changes.

use app::error::HindcastError;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

pub const MAX_DAYS: u32 = 365;

pub struct EmbedKeys {
    key: [u8; 32],
}

impl EmbedKeys {
    pub fn new(secret: Option<&SecretString>) -> Result<Self, HindcastError> {
        let key = match secret {
            // Its own key: a link's signature is never valid as anything else.
            Some(secret) => Sha256::new().chain_update(b"hindcast embed links\0").chain_update(secret.expose_secret().as_bytes()).finalize().into(),
            None => app::auth::ops::random_bytes::<32>()?,
        };
        Ok(Self { key })
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(payload.as_bytes());
        mac
    }

    /// The `embed` value for `expid` at its embed `generation`, valid until `expires`.
    pub fn sign(&self, expid: &str, generation: i64, expires: DateTime<Utc>) -> String {
        let payload = format!("{expid}.{generation}.{}", expires.timestamp());
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.mac(&payload).finalize().into_bytes());
        format!("{payload}.{signature}")
    }

    /// Whether `token` opens `expid` at `now` (the experiment's embed generation being
    /// `generation`); otherwise why not.
    pub fn verify(&self, expid: &str, generation: i64, token: &str, now: DateTime<Utc>) -> Result<(), &'static str> {
        let (payload, signature) = token.rsplit_once('.').ok_or("malformed")?;
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature).map_err(|_| "malformed")?;
        self.mac(payload).verify_slice(&signature).map_err(|_| "forged")?;
        let mut parts = payload.splitn(3, '.');
        let (Some(named), Some(signed_generation), Some(expiry)) = (parts.next(), parts.next(), parts.next()) else {
            return Err("malformed");
        };
        if named != expid {
            return Err("for another experiment");
        }
        if signed_generation != generation.to_string() {
            return Err("revoked");
        }
        let expiry: i64 = expiry.parse().map_err(|_| "malformed")?;
        if now.timestamp() >= expiry {
            return Err("expired");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_open_their_experiment_until_they_expire() {
        let keys = EmbedKeys::new(Some(&SecretString::from("0123456789abcdef0123456789abcdef".to_owned()))).unwrap();
        let now = Utc::now();
        let token = keys.sign("a000", 3, now + chrono::TimeDelta::days(1));
        assert_eq!(keys.verify("a000", 3, &token, now), Ok(()));
        assert_eq!(keys.verify("a001", 3, &token, now), Err("for another experiment"));
        assert_eq!(keys.verify("a000", 4, &token, now), Err("revoked"));
        assert_eq!(keys.verify("a000", 3, &token, now + chrono::TimeDelta::days(2)), Err("expired"));
        // A later expiry or another generation with the old signature, or another key's: forged.
        let (_, signature) = token.rsplit_once('.').unwrap();
        let stretched = format!("a000.3.{}.{signature}", (now + chrono::TimeDelta::days(900)).timestamp());
        assert_eq!(keys.verify("a000", 3, &stretched, now), Err("forged"));
        let other = EmbedKeys::new(Some(&SecretString::from("another key of at least 32 characters".to_owned()))).unwrap();
        assert_eq!(other.verify("a000", 3, &token, now), Err("forged"));
        assert_eq!(keys.verify("a000", 3, "nonsense", now), Err("malformed"));
    }
}
