//! Settings of the services people may log in through besides local passwords (CAS now),
//! and the one rule for the accounts they bring: a name the provider vouches for is the
//! account of that name, created on first login with `HINDCAST_EXTERNAL_ROLE` (viewer unless
//! set) and no local password.

use crate::config::ConfigError;
use app::auth::Role;
use std::net::SocketAddr;

/// The file's values (same names as the variables, lower case).
#[derive(Debug, Default)]
pub struct ExternalFileLayer {
    pub hindcast_public_url: Option<String>,
    pub hindcast_external_role: Option<String>,
    pub cas_server_url: Option<String>,
    pub cas_login_url: Option<String>,
    pub cas_verify_url: Option<String>,
    pub cas_protocol: Option<String>,
    pub github_oauth_client_id: Option<String>,
    pub github_oauth_client_secret: Option<String>,
    pub github_oauth_whitelist_organization: Option<String>,
    pub github_oauth_whitelist_team: Option<String>,
    pub github_oauth_authorize_url: Option<String>,
    pub github_oauth_token_url: Option<String>,
    pub github_api_url: Option<String>,
    pub oidc_issuer_url: Option<String>,
    pub oidc_client_id: Option<String>,
    pub oidc_client_secret: Option<String>,
    pub oidc_username_claim: Option<String>,
}

/// Where browsers reach this server (`HINDCAST_PUBLIC_URL`), for links people copy.
#[derive(Debug, Clone)]
pub struct PublicUrl(pub String);

#[derive(Debug, Clone)]
pub struct ExternalLogin {
    /// `HINDCAST_PUBLIC_URL`: where browsers reach this server (behind a proxy, its https
    /// address), for the return addresses given to providers. Default `http://<site addr>`.
    pub public_url: String,
    /// Whether `public_url` was configured (else it follows the address actually bound).
    pub public_url_given: bool,
    /// The role of accounts created at their first external login.
    pub new_account_role: Role,
    pub cas: Option<CasSettings>,
    pub github: Option<GithubSettings>,
    pub oidc: Option<OidcSettings>,
}

/// OpenID Connect: `OIDC_ISSUER_URL` (its discovery document is read at each login),
/// `OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`, and the claim that names the account
/// (`OIDC_USERNAME_CLAIM`, default `preferred_username`).
#[derive(Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: secrecy::SecretString,
    pub username_claim: String,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings").field("issuer", &self.issuer).field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

fn oidc(env: &impl Fn(&str) -> Option<String>, file: &ExternalFileLayer) -> Result<Option<OidcSettings>, ConfigError> {
    let pick = |name: &str, from_file: &Option<String>| env(name).or_else(|| from_file.clone());
    let issuer = pick("OIDC_ISSUER_URL", &file.oidc_issuer_url);
    let id = pick("OIDC_CLIENT_ID", &file.oidc_client_id);
    let secret = pick("OIDC_CLIENT_SECRET", &file.oidc_client_secret);
    match (issuer, id, secret) {
        (None, None, None) => Ok(None),
        (Some(issuer), Some(client_id), Some(secret)) => Ok(Some(OidcSettings {
            issuer: http_url("OIDC_ISSUER_URL", &issuer)?,
            client_id,
            client_secret: secrecy::SecretString::from(secret),
            username_claim: pick("OIDC_USERNAME_CLAIM", &file.oidc_username_claim).unwrap_or_else(|| "preferred_username".into()),
        })),
        _ => Err(ConfigError::Invalid {
            name: "OIDC_ISSUER_URL",
            message: "set OIDC_ISSUER_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together".into(),
        }),
    }
}

/// GitHub OAuth: `GITHUB_OAUTH_CLIENT_ID` and `…_CLIENT_SECRET`, optionally restricted to the
/// active members of `GITHUB_OAUTH_WHITELIST_ORGANIZATION` (and of its
/// `GITHUB_OAUTH_WHITELIST_TEAM`). Every GitHub URL can be changed (GitHub Enterprise, tests).
#[derive(Clone)]
pub struct GithubSettings {
    pub client_id: String,
    pub client_secret: secrecy::SecretString,
    pub organization: Option<String>,
    pub team: Option<String>,
    pub authorize_url: String,
    pub token_url: String,
    pub api_url: String,
}

impl std::fmt::Debug for GithubSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubSettings")
            .field("client_id", &self.client_id)
            .field("organization", &self.organization)
            .field("team", &self.team)
            .finish_non_exhaustive()
    }
}

fn github(env: &impl Fn(&str) -> Option<String>, file: &ExternalFileLayer) -> Result<Option<GithubSettings>, ConfigError> {
    let pick = |name: &str, from_file: &Option<String>| env(name).or_else(|| from_file.clone());
    let id = pick("GITHUB_OAUTH_CLIENT_ID", &file.github_oauth_client_id);
    let secret = pick("GITHUB_OAUTH_CLIENT_SECRET", &file.github_oauth_client_secret);
    let (client_id, client_secret) = match (id, secret) {
        (None, None) => return Ok(None),
        (Some(id), Some(secret)) => (id, secret),
        _ => {
            return Err(ConfigError::Invalid {
                name: "GITHUB_OAUTH_CLIENT_ID",
                message: "set both GITHUB_OAUTH_CLIENT_ID and GITHUB_OAUTH_CLIENT_SECRET".into(),
            })
        }
    };
    let organization = pick("GITHUB_OAUTH_WHITELIST_ORGANIZATION", &file.github_oauth_whitelist_organization);
    let team = pick("GITHUB_OAUTH_WHITELIST_TEAM", &file.github_oauth_whitelist_team);
    if team.is_some() && organization.is_none() {
        return Err(ConfigError::Invalid {
            name: "GITHUB_OAUTH_WHITELIST_TEAM",
            message: "a team belongs to an organisation: set GITHUB_OAUTH_WHITELIST_ORGANIZATION too".into(),
        });
    }
    let anyone = env("GITHUB_OAUTH_ALLOW_ANY_USER").is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"));
    if organization.is_none() && !anyone {
        return Err(ConfigError::Invalid {
            name: "GITHUB_OAUTH_WHITELIST_ORGANIZATION",
            message: "without it every GitHub user could log in; set it, or GITHUB_OAUTH_ALLOW_ANY_USER=true if that is meant".into(),
        });
    }
    let url = |name: &'static str, from_file: &Option<String>, default: &str| http_url(name, &pick(name, from_file).unwrap_or_else(|| default.into()));
    Ok(Some(GithubSettings {
        client_id,
        client_secret: secrecy::SecretString::from(client_secret),
        organization,
        team,
        authorize_url: url("GITHUB_OAUTH_AUTHORIZE_URL", &file.github_oauth_authorize_url, "https://github.com/login/oauth/authorize")?,
        token_url: url("GITHUB_OAUTH_TOKEN_URL", &file.github_oauth_token_url, "https://github.com/login/oauth/access_token")?,
        api_url: url("GITHUB_API_URL", &file.github_api_url, "https://api.github.com")?,
    }))
}

/// `CAS_SERVER_URL` (its `/login` and `/p3/serviceValidate`, or `/serviceValidate` with
/// `CAS_PROTOCOL=2`), or `CAS_LOGIN_URL` and `CAS_VERIFY_URL` given apart.
#[derive(Debug, Clone, PartialEq)]
pub struct CasSettings {
    pub login_url: String,
    pub verify_url: String,
}

fn http_url(name: &'static str, text: &str) -> Result<String, ConfigError> {
    let trimmed = text.trim().trim_end_matches('/');
    if !(trimmed.starts_with("https://") || trimmed.starts_with("http://")) || trimmed.contains(char::is_whitespace) {
        return Err(ConfigError::Invalid { name, message: format!("'{text}' is not an http(s) URL") });
    }
    Ok(trimmed.to_owned())
}

impl ExternalLogin {
    pub fn load(env: &impl Fn(&str) -> Option<String>, file: ExternalFileLayer, site_addr: SocketAddr) -> Result<Self, ConfigError> {
        let github = github(env, &file)?;
        let oidc = oidc(env, &file)?;
        let given = env("HINDCAST_PUBLIC_URL").or(file.hindcast_public_url);
        let public_url_given = given.is_some();
        let public_url = match given {
            Some(url) => http_url("HINDCAST_PUBLIC_URL", &url)?,
            None => format!("http://{site_addr}"),
        };
        let new_account_role = match env("HINDCAST_EXTERNAL_ROLE").or(file.hindcast_external_role) {
            Some(text) => match Role::parse(&text).map_err(|err| ConfigError::Invalid { name: "HINDCAST_EXTERNAL_ROLE", message: err.to_string() })? {
                // Whoever a provider vouches for would administer the installation.
                Role::Admin => {
                    return Err(ConfigError::Invalid {
                        name: "HINDCAST_EXTERNAL_ROLE",
                        message: "admin is refused: make admins one by one (hindcast user set-role)".into(),
                    })
                }
                role => role,
            },
            None => Role::Viewer,
        };
        let server = env("CAS_SERVER_URL").or(file.cas_server_url);
        let login = env("CAS_LOGIN_URL").or(file.cas_login_url);
        let verify = env("CAS_VERIFY_URL").or(file.cas_verify_url);
        let protocol = env("CAS_PROTOCOL").or(file.cas_protocol);
        let cas = match (server, login, verify) {
            (None, None, None) => None,
            (Some(server), None, None) => {
                let base = http_url("CAS_SERVER_URL", &server)?;
                let validate = match protocol.as_deref().map(str::trim) {
                    None | Some("3") => "p3/serviceValidate",
                    Some("2") => "serviceValidate",
                    Some(other) => return Err(ConfigError::Invalid { name: "CAS_PROTOCOL", message: format!("'{other}' is neither 2 nor 3") }),
                };
                Some(CasSettings { login_url: format!("{base}/login"), verify_url: format!("{base}/{validate}") })
            }
            (None, Some(login), Some(verify)) => {
                Some(CasSettings { login_url: http_url("CAS_LOGIN_URL", &login)?, verify_url: http_url("CAS_VERIFY_URL", &verify)? })
            }
            _ => {
                return Err(ConfigError::Invalid {
                    name: "CAS_SERVER_URL",
                    message: "set CAS_SERVER_URL alone, or both CAS_LOGIN_URL and CAS_VERIFY_URL".into(),
                })
            }
        };
        Ok(Self { public_url, public_url_given, new_account_role, cas, github, oidc })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<ExternalLogin, ConfigError> {
        let map: std::collections::HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ExternalLogin::load(&|name: &str| map.get(name).cloned(), ExternalFileLayer::default(), "127.0.0.1:3000".parse().unwrap())
    }

    #[test]
    fn cas_urls_follow_the_protocol_or_are_given_apart() {
        let none = load(&[]).unwrap();
        assert!(none.cas.is_none());
        assert_eq!((none.public_url.as_str(), none.new_account_role), ("http://127.0.0.1:3000", Role::Viewer));
        let v3 = load(&[("CAS_SERVER_URL", "https://cas.example.org/cas/")]).unwrap().cas.unwrap();
        assert_eq!(v3.login_url, "https://cas.example.org/cas/login");
        assert_eq!(v3.verify_url, "https://cas.example.org/cas/p3/serviceValidate");
        let v2 = load(&[("CAS_SERVER_URL", "https://cas.example.org/cas"), ("CAS_PROTOCOL", "2")]).unwrap().cas.unwrap();
        assert_eq!(v2.verify_url, "https://cas.example.org/cas/serviceValidate");
        let apart = load(&[("CAS_LOGIN_URL", "https://a/login"), ("CAS_VERIFY_URL", "https://b/validate")]).unwrap().cas.unwrap();
        assert_eq!((apart.login_url.as_str(), apart.verify_url.as_str()), ("https://a/login", "https://b/validate"));
        assert!(load(&[("CAS_LOGIN_URL", "https://a/login")]).is_err());
        assert!(load(&[("CAS_SERVER_URL", "cas.example.org")]).unwrap_err().to_string().contains("not an http(s) URL"));
        assert!(load(&[("CAS_SERVER_URL", "https://x"), ("CAS_PROTOCOL", "1")]).is_err());
        assert!(load(&[("HINDCAST_EXTERNAL_ROLE", "root")]).is_err());
        assert!(load(&[("HINDCAST_EXTERNAL_ROLE", "admin")]).is_err());
        assert_eq!(load(&[("HINDCAST_EXTERNAL_ROLE", "operator")]).unwrap().new_account_role, Role::Operator);
    }

    #[test]
    fn oidc_needs_its_three_settings_together() {
        assert!(load(&[("OIDC_ISSUER_URL", "https://id.example.org")]).unwrap_err().to_string().contains("together"));
        let all = [("OIDC_ISSUER_URL", "https://id.example.org/"), ("OIDC_CLIENT_ID", "h"), ("OIDC_CLIENT_SECRET", "s3cret")];
        let oidc = load(&all).unwrap().oidc.unwrap();
        assert_eq!((oidc.issuer.as_str(), oidc.username_claim.as_str()), ("https://id.example.org", "preferred_username"));
        assert!(!format!("{oidc:?}").contains("s3cret"));
    }

    #[test]
    fn github_needs_both_keys_and_a_team_needs_its_organisation() {
        assert!(load(&[]).unwrap().github.is_none());
        assert!(load(&[("GITHUB_OAUTH_CLIENT_ID", "id")]).is_err());
        let both = [("GITHUB_OAUTH_CLIENT_ID", "id"), ("GITHUB_OAUTH_CLIENT_SECRET", "s3cret")];
        assert!(load(&both).unwrap_err().to_string().contains("every GitHub user could log in"));
        let open = [both[0], both[1], ("GITHUB_OAUTH_ALLOW_ANY_USER", "true")];
        let github = load(&open).unwrap().github.unwrap();
        assert_eq!(github.api_url, "https://api.github.com");
        assert!(!format!("{github:?}").contains("s3cret"), "the secret never reaches logs");
        let team = [both[0], both[1], ("GITHUB_OAUTH_WHITELIST_TEAM", "climate")];
        assert!(load(&team).unwrap_err().to_string().contains("belongs to an organisation"));
    }
}
