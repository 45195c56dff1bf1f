//! Login through CAS (protocol 2 `serviceValidate` and 3 `p3/serviceValidate`).
//!
//! `GET /login/cas?next=…` keeps a random nonce in the browser's session and sends it to the
//! CAS login with this address (and the nonce) as the `service`; CAS sends it back with a
//! `ticket`. The login goes on only in the browser that started it (the nonce, once, within
//! ten minutes: nobody can log someone else in with their own ticket), and the ticket is
//! checked with CAS for exactly that service. A ticket seen before is refused whatever CAS
//! says. The account is the one linked to the CAS user (see `app::auth::ops::external_account`).

use super::html::refusal_page;
use super::login::{finish_external_login, safe_next, LoginPage};
use super::pending::{self, check_return};
use super::providers::CasSettings;
use super::AuthSession;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

#[derive(Deserialize)]
pub struct CasReturn {
    next: Option<String>,
    ticket: Option<String>,
    /// The nonce this browser's session keeps while its login is on its way through CAS.
    n: Option<String>,
}

const SESSION_KEY: &str = "cas_login";

#[derive(serde::Serialize, Deserialize)]
struct Pending {
    nonce: String,
    started: i64,
}

/// Tickets already presented (the newest `CAPACITY`), refused if presented again.
#[derive(Default)]
pub struct SeenTickets {
    inner: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl SeenTickets {
    const CAPACITY: usize = 10_000;

    /// Whether this is the first time the ticket is seen (and remembers it).
    fn first_time(&self, ticket: &str) -> bool {
        let mut guard = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (set, order) = &mut *guard;
        if !set.insert(ticket.to_owned()) {
            return false;
        }
        order.push_back(ticket.to_owned());
        if order.len() > Self::CAPACITY {
            if let Some(old) = order.pop_front() {
                set.remove(&old);
            }
        }
        true
    }
}

pub async fn login(
    State(login): State<LoginPage>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    auth: AuthSession,
    Query(query): Query<CasReturn>,
) -> Response {
    let Some(cas) = login.external.cas.as_ref().filter(|_| login.enabled) else {
        return refusal_page(StatusCode::NOT_FOUND, "Log in with CAS", "This server does not use CAS.");
    };
    let next = safe_next(query.next.as_deref());
    let service = |nonce: &str| format!("{}/login/cas?next={}&n={nonce}", login.external.public_url, urlencoding::encode(&next));
    let refused = |message: &str| refusal_page(StatusCode::UNAUTHORIZED, "Log in with CAS", message);
    let Some(ticket) = query.ticket else {
        let Ok(nonce) = app::auth::ops::random_bytes::<24>() else {
            return refusal_page(StatusCode::INTERNAL_SERVER_ERROR, "Log in with CAS", "No randomness for the login; the failure was logged.");
        };
        let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        if let Err(err) = auth.session.insert(SESSION_KEY, Pending { nonce: nonce.clone(), started: chrono::Utc::now().timestamp() }).await {
            tracing::error!(error = %err, "the CAS login could not be kept in the session");
            return refusal_page(StatusCode::INTERNAL_SERVER_ERROR, "Log in with CAS", "The login could not be started; try again.");
        }
        let separator = if cas.login_url.contains('?') { '&' } else { '?' };
        let to = format!("{}{separator}service={}", cas.login_url, urlencoding::encode(&service(&nonce)));
        return Redirect::to(&to).into_response();
    };
    // Taken out of the session whatever happens next: a nonce is good for one try.
    let pending: Option<Pending> = auth.session.remove(SESSION_KEY).await.ok().flatten();
    let pending = match check_return("CAS", pending, query.n.as_deref().unwrap_or_default(), peer.ip()) {
        Ok(pending) => pending,
        Err(why) => return refused(&why),
    };
    let service = service(&pending.nonce);
    let well_formed = ticket.starts_with("ST-") && ticket.len() <= 256 && ticket.bytes().all(|b| b.is_ascii_graphic());
    if !well_formed {
        return refused("The CAS ticket is not a service ticket (ST-…).");
    }
    if !login.cas_tickets.first_time(&ticket) {
        tracing::warn!(address = %peer.ip(), "a CAS ticket was presented again");
        return refused("This CAS ticket was already used; log in again.");
    }
    let user = match validate(&login.http, cas, &service, &ticket).await {
        Ok(user) => user,
        Err(Refusal::Cas(why)) => {
            tracing::info!(address = %peer.ip(), reason = %why, "CAS refused a ticket");
            return refused(&format!("CAS refused the ticket: {why}"));
        }
        Err(Refusal::Unreachable(why)) => {
            tracing::error!(error = %why, "CAS could not be asked");
            return refusal_page(StatusCode::BAD_GATEWAY, "Log in with CAS", "CAS could not be reached to check the ticket; try again later.");
        }
    };
    finish_external_login(&login, auth, peer, "CAS", &user, &user, &next).await
}

enum Refusal {
    /// CAS answered: the ticket is invalid, expired, or for another service.
    Cas(String),
    /// No usable answer from CAS.
    Unreachable(String),
}

async fn validate(http: &reqwest::Client, cas: &CasSettings, service: &str, ticket: &str) -> Result<String, Refusal> {
    let response = http
        .get(&cas.verify_url)
        .query(&[("service", service), ("ticket", ticket)])
        .send()
        .await
        .map_err(|e| Refusal::Unreachable(e.to_string()))?;
    if !response.status().is_success() {
        return Err(Refusal::Unreachable(format!("CAS answered {}", response.status())));
    }
    let text = response.text().await.map_err(|e| Refusal::Unreachable(e.to_string()))?;
    parse_service_response(&text)
}

/// The user of a `<cas:serviceResponse>`, or why CAS refused.
fn parse_service_response(xml: &str) -> Result<String, Refusal> {
    let document = roxmltree::Document::parse(xml).map_err(|e| Refusal::Unreachable(format!("CAS's answer is not XML: {e}")))?;
    let find = |name: &str| document.descendants().find(|n| n.is_element() && n.tag_name().name() == name);
    if let Some(success) = find("authenticationSuccess") {
        let user = success.children().find(|n| n.is_element() && n.tag_name().name() == "user").and_then(|n| n.text());
        return match user.map(str::trim).filter(|u| !u.is_empty()) {
            Some(user) => Ok(user.to_owned()),
            None => Err(Refusal::Unreachable("CAS's success names no user".into())),
        };
    }
    if let Some(failure) = find("authenticationFailure") {
        let code = failure.attribute("code").unwrap_or("UNKNOWN");
        let text = failure.text().map(str::trim).unwrap_or_default();
        return Err(Refusal::Cas(format!("{code} {text}").trim().to_owned()));
    }
    Err(Refusal::Unreachable("CAS's answer is neither a success nor a failure".into()))
}

impl pending::Pending for Pending {
    fn secret(&self) -> &str {
        &self.nonce
    }
    fn started(&self) -> i64 {
        self.started
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_responses_are_read_as_cas_writes_them() {
        let ok = r#"<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess><cas:user> ana </cas:user><cas:attributes><cas:mail>a@x</cas:mail></cas:attributes></cas:authenticationSuccess></cas:serviceResponse>"#;
        assert!(matches!(parse_service_response(ok), Ok(user) if user == "ana"));
        let bad = r#"<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationFailure code="INVALID_TICKET">Ticket ST-1 not recognized</cas:authenticationFailure></cas:serviceResponse>"#;
        assert!(matches!(parse_service_response(bad), Err(Refusal::Cas(why)) if why == "INVALID_TICKET Ticket ST-1 not recognized"));
        assert!(matches!(parse_service_response("<html>proxy error</html>"), Err(Refusal::Unreachable(_))));
        assert!(matches!(parse_service_response("not xml"), Err(Refusal::Unreachable(_))));
    }

    #[test]
    fn a_ticket_is_accepted_once() {
        let seen = SeenTickets::default();
        assert!(seen.first_time("ST-1"));
        assert!(!seen.first_time("ST-1"));
        assert!(seen.first_time("ST-2"));
    }
}
