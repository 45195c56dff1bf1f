//! JSON Web Tokens for API clients: HS256 with `SECRET_KEY`, always with an expiry. Only
//! HS256 is accepted (never `alg: none`, never another algorithm a forger could pick), and
//! the account is looked up at every use, so a removed account or a changed role takes
//! effect at once. Clients that mint their own tokens with the shared secret (as
//! autosubmit-api's do) are understood: the user is `sub`, or `user_id` when `sub` is absent.

use app::error::HindcastError;
use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The longest life a token issued here may have: a day.
pub const MAX_TTL_SECONDS: u32 = 86_400;
pub const DEFAULT_TTL_SECONDS: u32 = 3_600;

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(default)]
    iat: i64,
    /// Required: checked by the validation before these claims are read.
    #[serde(default)]
    exp: i64,
}

impl JwtKeys {
    /// Keys from `SECRET_KEY`; without one (a developer's machine), random bytes that live as
    /// long as the process.
    pub fn new(secret: Option<&SecretString>) -> Result<Self, HindcastError> {
        let bytes = match secret {
            Some(secret) => secret.expose_secret().as_bytes().to_vec(),
            None => app::auth::ops::random_bytes::<32>()?.to_vec(),
        };
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp"]);
        validation.leeway = 5;
        Ok(Self { encoding: EncodingKey::from_secret(&bytes), decoding: DecodingKey::from_secret(&bytes), validation })
    }

    /// A token for `user`, valid for `ttl_seconds`; the token and when it expires.
    pub fn issue(&self, user: &str, ttl_seconds: u32) -> Result<(String, DateTime<Utc>), HindcastError> {
        let now = Utc::now();
        let expires = now + chrono::TimeDelta::seconds(i64::from(ttl_seconds));
        let claims = Claims { sub: Some(user.to_owned()), user_id: None, iat: now.timestamp(), exp: expires.timestamp() };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|err| {
            tracing::error!(error = %err, "a token could not be signed");
            HindcastError::Internal
        })?;
        Ok((token, expires))
    }

    /// The user a token names, if its signature and expiry hold; otherwise why not.
    pub fn verify(&self, token: &str) -> Result<String, HindcastError> {
        let refused = |why: &str| HindcastError::Unauthorized(format!("The token is refused: {why}"));
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(|err| match err.kind() {
            ErrorKind::ExpiredSignature => refused("it has expired; ask for a new one."),
            ErrorKind::InvalidSignature => refused("its signature does not match."),
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => refused("only HS256 tokens are accepted."),
            ErrorKind::MissingRequiredClaim(claim) => refused(&format!("it has no '{claim}' claim.")),
            _ => refused("it is not a well-formed JWT."),
        })?;
        // Tokens minted elsewhere with the shared secret live no longer than ours may.
        if data.claims.exp - Utc::now().timestamp() > i64::from(MAX_TTL_SECONDS) + 60 {
            return Err(refused("it lives longer than a day; ask for a shorter one."));
        }
        let user = data.claims.sub.or(data.claims.user_id).filter(|u| !u.is_empty()).ok_or_else(|| refused("it names no user ('sub')."))?;
        // Account names are stored folded to lower case.
        app::auth::UserName::parse(&user).map(|name| name.as_str().to_owned()).map_err(|_| refused("its user is not a valid account name."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn keys(secret: &str) -> JwtKeys {
        JwtKeys::new(Some(&SecretString::from(secret.to_owned()))).unwrap()
    }

    fn b64(json: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn issued_tokens_verify_and_forgeries_do_not() {
        let keys = keys("0123456789abcdef0123456789abcdef");
        let (token, expires) = keys.issue("ana", 60).unwrap();
        assert_eq!(keys.verify(&token).unwrap(), "ana");
        assert!((expires - Utc::now()).num_seconds() <= 60);

        let other = super::tests::keys("another secret of thirty-two chars!");
        assert!(other.verify(&token).unwrap_err().to_string().contains("signature does not match"));

        // `alg: none` with the payload of a real token and no signature.
        let payload = token.split('.').nth(1).unwrap();
        let unsigned = format!("{}.{payload}.", b64(r#"{"alg":"none","typ":"JWT"}"#));
        assert!(keys.verify(&unsigned).is_err());
        // HS512 with the right secret: still refused, only HS256 is accepted.
        let header = Header::new(Algorithm::HS512);
        let claims = Claims { sub: Some("ana".into()), user_id: None, iat: 0, exp: Utc::now().timestamp() + 60 };
        let hs512 = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef")).unwrap();
        assert!(keys.verify(&hs512).unwrap_err().to_string().contains("only HS256"));

        assert!(keys.verify("not.a.jwt").unwrap_err().to_string().contains("not a well-formed JWT"));
        // Names fold as accounts' do; a year-long token minted with the secret is refused.
        let claims = Claims { sub: Some("Ana".into()), user_id: None, iat: 0, exp: Utc::now().timestamp() + 60 };
        let upper = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef")).unwrap();
        assert_eq!(keys.verify(&upper).unwrap(), "ana");
        let claims = Claims { sub: Some("ana".into()), user_id: None, iat: 0, exp: Utc::now().timestamp() + 365 * 86400 };
        let long = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef")).unwrap();
        assert!(keys.verify(&long).unwrap_err().to_string().contains("longer than a day"));
    }

    #[test]
    fn expiry_is_required_and_enforced() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let keys = keys(std::str::from_utf8(secret).unwrap());
        let header = Header::new(Algorithm::HS256);
        let old = Claims { sub: Some("ana".into()), user_id: None, iat: 0, exp: Utc::now().timestamp() - 60 };
        let expired = jsonwebtoken::encode(&header, &old, &EncodingKey::from_secret(secret)).unwrap();
        assert!(keys.verify(&expired).unwrap_err().to_string().contains("expired"));
        let forever = format!("{}.{}", b64(r#"{"alg":"HS256","typ":"JWT"}"#), b64(r#"{"sub":"ana"}"#));
        let signature = {
            use hmac::{Hmac, Mac};
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
            mac.update(forever.as_bytes());
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        };
        let no_exp = format!("{forever}.{signature}");
        let refused = keys.verify(&no_exp).unwrap_err().to_string();
        assert!(refused.contains("no 'exp' claim"), "{refused}");
        // autosubmit-api's own claim name.
        let theirs = Claims { sub: None, user_id: Some("olga".into()), iat: 0, exp: Utc::now().timestamp() + 60 };
        let token = jsonwebtoken::encode(&header, &theirs, &EncodingKey::from_secret(secret)).unwrap();
        assert_eq!(keys.verify(&token).unwrap(), "olga");
    }
}
