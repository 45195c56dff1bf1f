//! Login through OpenID Connect: discovery, authorization code flow with `state`, `nonce` and
//! PKCE, and an ID token whose signature is checked against the provider's published keys
//! (JWKS) — asymmetric algorithms only — with its issuer, audience, expiry and nonce.
//! The account is the one linked to the token's `sub` at this issuer.

use super::html::refusal_page;
use super::login::{finish_external_login, safe_next, LoginPage};
use super::pending::{self, b64url, check_oauth_return, pkce_challenge, CallbackQuery, StartQuery};
use super::providers::OidcSettings;
use super::AuthSession;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

const SESSION_KEY: &str = "oidc_login";
const TITLE: &str = "Log in with OpenID Connect";

#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    next: String,
    started: i64,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    userinfo_endpoint: Option<String>,
}

fn callback_url(login: &LoginPage) -> String {
    format!("{}/login/oidc/callback", login.external.public_url)
}

type Refusal = (StatusCode, String);

fn unreachable(err: reqwest::Error) -> Refusal {
    tracing::error!(error = %err, "the OpenID provider could not be asked");
    (StatusCode::BAD_GATEWAY, "The OpenID provider could not be reached; try again later.".into())
}

/// The provider's discovery document, checked to be the configured issuer's.
async fn discover(login: &LoginPage, oidc: &OidcSettings) -> Result<Discovery, Refusal> {
    let url = format!("{}/.well-known/openid-configuration", oidc.issuer);
    let discovery: Discovery = login.http.get(url).send().await.map_err(unreachable)?.json().await.map_err(unreachable)?;
    if discovery.issuer.trim_end_matches('/') != oidc.issuer {
        tracing::error!(configured = %oidc.issuer, announced = %discovery.issuer, "OpenID provider announces another issuer");
        return Err((StatusCode::BAD_GATEWAY, "The OpenID provider announces another issuer than the one configured.".into()));
    }
    Ok(discovery)
}

pub async fn start(State(login): State<LoginPage>, auth: AuthSession, Query(query): Query<StartQuery>) -> Response {
    let Some(oidc) = login.external.oidc.as_ref().filter(|_| login.enabled) else {
        return refusal_page(StatusCode::NOT_FOUND, TITLE, "This server does not use OpenID Connect.");
    };
    let discovery = match discover(&login, oidc).await {
        Ok(d) => d,
        Err((status, message)) => return refusal_page(status, TITLE, &message),
    };
    let random = || app::auth::ops::random_bytes::<32>().map(|b| b64url(&b));
    let (Ok(state), Ok(nonce), Ok(verifier)) = (random(), random(), random()) else {
        return refusal_page(StatusCode::INTERNAL_SERVER_ERROR, TITLE, "No randomness for the login; the failure was logged.");
    };
    let challenge = pkce_challenge(&verifier);
    let separator = if discovery.authorization_endpoint.contains('?') { '&' } else { '?' };
    let to = format!(
        "{}{separator}response_type=code&client_id={}&redirect_uri={}&scope=openid%20profile&state={state}&nonce={nonce}&code_challenge={challenge}&code_challenge_method=S256",
        discovery.authorization_endpoint,
        urlencoding::encode(&oidc.client_id),
        urlencoding::encode(&callback_url(&login)),
    );
    let pending = Pending { state, nonce, verifier, next: safe_next(query.next.as_deref()), started: chrono::Utc::now().timestamp() };
    if let Err(err) = auth.session.insert(SESSION_KEY, &pending).await {
        tracing::error!(error = %err, "the OpenID login could not be kept in the session");
        return refusal_page(StatusCode::INTERNAL_SERVER_ERROR, TITLE, "The login could not be started; try again.");
    }
    Redirect::to(&to).into_response()
}

pub async fn callback(
    State(login): State<LoginPage>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    auth: AuthSession,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let refused = |status: StatusCode, message: &str| refusal_page(status, TITLE, message);
    let Some(oidc) = login.external.oidc.as_ref().filter(|_| login.enabled) else {
        return refused(StatusCode::NOT_FOUND, "This server does not use OpenID Connect.");
    };
    // Taken out of the session whatever happens next: a state is good for one try.
    let pending: Option<Pending> = auth.session.remove(SESSION_KEY).await.ok().flatten();
    let (code, pending) = match check_oauth_return("OpenID", pending, query, peer.ip()) {
        Ok(returned) => returned,
        Err((status, why)) => return refused(status, &why),
    };
    match identify(&login, oidc, &code, &pending).await {
        Ok((subject, name)) => finish_external_login(&login, auth, peer, "OIDC", &subject, &name, &pending.next).await,
        Err((status, message)) => refused(status, &message),
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The ID token's `sub` and account name, once its signature, issuer, audience, expiry and
/// nonce hold.
async fn identify(login: &LoginPage, oidc: &OidcSettings, code: &str, pending: &Pending) -> Result<(String, String), Refusal> {
    let discovery = discover(login, oidc).await?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &callback_url(login)),
        ("code_verifier", &pending.verifier),
    ];
    let answer: TokenAnswer = login
        .http
        .post(&discovery.token_endpoint)
        .basic_auth(urlencoding::encode(&oidc.client_id), Some(urlencoding::encode(oidc.client_secret.expose_secret())))
        .form(&form)
        .send()
        .await
        .map_err(unreachable)?
        .json()
        .await
        .map_err(unreachable)?;
    let Some(id_token) = answer.id_token else {
        let why = answer.error_description.or(answer.error).unwrap_or_else(|| "no ID token".into());
        return Err((StatusCode::UNAUTHORIZED, format!("The OpenID provider refused the login: {why}")));
    };
    let claims = verify_id_token(login, oidc, &discovery, &id_token).await?;
    let refused = |why: &str| (StatusCode::UNAUTHORIZED, format!("The ID token is refused: {why}"));
    let nonce = claims.get("nonce").and_then(|n| n.as_str()).unwrap_or_default();
    let same: bool = {
        use subtle::ConstantTimeEq;
        nonce.as_bytes().ct_eq(pending.nonce.as_bytes()).into()
    };
    if !same {
        return Err(refused("its nonce is not this login's."));
    }
    let subject = claims.get("sub").and_then(|s| s.as_str()).filter(|s| !s.is_empty()).ok_or_else(|| refused("it has no subject."))?;
    let name = match claims.get(&oidc.username_claim).and_then(|n| n.as_str()) {
        Some(name) => name.to_owned(),
        // Many providers put profile claims in the userinfo answer rather than the ID token.
        None => userinfo_name(login, oidc, &discovery, answer.access_token.as_deref(), subject).await?,
    };
    Ok((subject.to_owned(), name))
}

/// The account name from the userinfo endpoint, which must speak of the same `sub`.
async fn userinfo_name(
    login: &LoginPage,
    oidc: &OidcSettings,
    discovery: &Discovery,
    access_token: Option<&str>,
    subject: &str,
) -> Result<String, Refusal> {
    let missing = || (StatusCode::UNAUTHORIZED, format!("The provider gives no '{}' claim to name the account.", oidc.username_claim));
    let (Some(endpoint), Some(token)) = (&discovery.userinfo_endpoint, access_token) else { return Err(missing()) };
    let info: serde_json::Map<String, serde_json::Value> =
        login.http.get(endpoint).bearer_auth(token).send().await.map_err(unreachable)?.json().await.map_err(unreachable)?;
    if info.get("sub").and_then(|s| s.as_str()) != Some(subject) {
        return Err((StatusCode::UNAUTHORIZED, "The provider's userinfo speaks of another subject than the ID token.".into()));
    }
    info.get(&oidc.username_claim).and_then(|n| n.as_str()).map(str::to_owned).ok_or_else(missing)
}

/// The ID token's claims, if a key the provider publishes signed it with an asymmetric
/// algorithm, for this client, from this issuer, and it has not expired.
async fn verify_id_token(
    login: &LoginPage,
    oidc: &OidcSettings,
    discovery: &Discovery,
    id_token: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, Refusal> {
    let refused = |why: &str| (StatusCode::UNAUTHORIZED, format!("The ID token is refused: {why}"));
    let header = jsonwebtoken::decode_header(id_token).map_err(|_| refused("it is not a well-formed JWT."))?;
    // Never `none`, never a shared-secret algorithm a forger could pick with a public key.
    const ASYMMETRIC: [Algorithm; 6] = [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256, Algorithm::ES256, Algorithm::ES384];
    if !ASYMMETRIC.contains(&header.alg) {
        return Err(refused(&format!("{:?} is not an accepted signature algorithm.", header.alg)));
    }
    let keys: jsonwebtoken::jwk::JwkSet =
        login.http.get(&discovery.jwks_uri).send().await.map_err(unreachable)?.json().await.map_err(unreachable)?;
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or_else(|| refused("no key the provider publishes matches it."))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| refused("the provider's key cannot be read."))?;
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[&oidc.client_id]);
    validation.set_issuer(&[&oidc.issuer, &discovery.issuer]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 30;
    let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(id_token, &key, &validation).map_err(|err| {
        use jsonwebtoken::errors::ErrorKind;
        match err.kind() {
            ErrorKind::ExpiredSignature => refused("it has expired."),
            ErrorKind::InvalidSignature => refused("its signature does not match the provider's key."),
            ErrorKind::InvalidAudience => refused("it is for another client."),
            ErrorKind::InvalidIssuer => refused("it is from another issuer."),
            _ => refused("it does not verify."),
        }
    })?;
    Ok(data.claims)
}

impl pending::Pending for Pending {
    fn secret(&self) -> &str {
        &self.state
    }
    fn started(&self) -> i64 {
        self.started
    }
}
