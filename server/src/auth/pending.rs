//! A login on its way through a provider (CAS, GitHub, OpenID Connect). The browser's session
//! keeps a random secret (CAS's nonce, OAuth's `state`) when the login starts; the provider's
//! return is accepted only in that browser, once, within ten minutes.

use base64::Engine;
use serde::Deserialize;
use std::net::IpAddr;

pub const PENDING_FOR_SECONDS: i64 = 600;

/// `GET /login/<provider>?next=…`: where to go once logged in.
#[derive(Deserialize)]
pub struct StartQuery {
    pub next: Option<String>,
}

/// An OAuth provider's return: a code and the state, or why it refused.
#[derive(Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Base64url without padding, as OAuth's `state`, PKCE and JWTs write bytes.
pub fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// PKCE's S256 challenge of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    use sha2::Digest;
    b64url(&sha2::Sha256::digest(verifier.as_bytes()))
}

/// What a session keeps for a login under way: its secret, and when it started.
pub trait Pending {
    fn secret(&self) -> &str;
    fn started(&self) -> i64;
}

/// The pending login if the provider's return matches what the session kept (`kept`, already
/// taken out of the session so that it serves once); otherwise why not.
pub fn check_return<P: Pending>(provider: &str, kept: Option<P>, returned: &str, peer: IpAddr) -> Result<P, String> {
    let Some(pending) = kept else {
        return Err(format!("No {provider} login was started in this browser, or it was already used; start again."));
    };
    let (secret, started) = (pending.secret(), pending.started());
    let same: bool = {
        use subtle::ConstantTimeEq;
        secret.as_bytes().ct_eq(returned.as_bytes()).into()
    };
    if !same {
        tracing::warn!(address = %peer, %provider, "a login returned to another browser than the one that started it");
        return Err("This login was started in another browser (its state does not match); start again.".into());
    }
    if chrono::Utc::now().timestamp() - started > PENDING_FOR_SECONDS {
        return Err(format!("The {provider} login took more than ten minutes; start again."));
    }
    Ok(pending)
}

/// An OAuth provider's return (GitHub, OpenID Connect) checked against the login the session
/// kept (`kept`): the code to trade and the pending login, or the refusal's status and why.
pub fn check_oauth_return<P: Pending>(
    provider: &str,
    kept: Option<P>,
    query: CallbackQuery,
    peer: IpAddr,
) -> Result<(String, P), (axum::http::StatusCode, String)> {
    use axum::http::StatusCode;
    if let Some(error) = query.error {
        let why = query.error_description.unwrap_or(error);
        return Err((StatusCode::UNAUTHORIZED, format!("{provider} did not log you in: {why}")));
    }
    let (Some(code), Some(state)) = (query.code, query.state) else {
        return Err((StatusCode::BAD_REQUEST, format!("The answer from {provider} has no code or state.")));
    };
    let pending = check_return(provider, kept, &state, peer).map_err(|why| (StatusCode::UNAUTHORIZED, why))?;
    Ok((code, pending))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_return_is_accepted_only_with_the_kept_secret_in_time() {
        #[derive(Debug)]
        struct Kept(&'static str, i64);
        impl Pending for Kept {
            fn secret(&self) -> &str {
                self.0
            }
            fn started(&self) -> i64 {
                self.1
            }
        }
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let now = chrono::Utc::now().timestamp();
        assert!(check_return("CAS", Some(Kept("abc", now)), "abc", peer).is_ok());
        assert!(check_return::<Kept>("CAS", None, "abc", peer).unwrap_err().starts_with("No CAS login was started"));
        assert!(check_return("CAS", Some(Kept("abc", now)), "abd", peer).unwrap_err().contains("another browser"));
        assert!(check_return("CAS", Some(Kept("abc", now - 601)), "abc", peer).unwrap_err().contains("ten minutes"));
    }
}
