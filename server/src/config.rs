//! Typed, layered configuration: built-in defaults, then an optional TOML file, then
//! environment variables. Secrets (the database URL may carry a password) are held in types
//! whose `Debug` output hides them.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/hindcast.db";
pub const DEFAULT_SITE_ADDR: &str = "127.0.0.1:3000";
/// Local jobs at once: enough to keep two cores busy with short jobs, few enough for a laptop.
pub const DEFAULT_MAX_PARALLEL_JOBS: usize = 16;
/// How long the engine gathers job progress before writing it (one transaction per batch).
pub const DEFAULT_WRITE_INTERVAL_MS: u64 = 100;
pub const DEFAULT_SLURM_POLL_MS: u64 = 1000;
pub const DEFAULT_RUN_LEASE_SECONDS: u64 = 30;

/// Where `cargo leptos build` put the site for this binary (set at compile time), so the
/// binary finds its assets from any working directory.
const BUILT_SITE_ROOT: Option<&str> = option_env!("LEPTOS_SITE_ROOT");
const BUILT_OUTPUT_NAME: Option<&str> = option_env!("LEPTOS_OUTPUT_NAME");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: SecretString,
    pub site_addr: SocketAddr,
    pub site_root: PathBuf,
    pub site_pkg_dir: String,
    pub output_name: String,
    /// The user who acts while Hindcast has no login (owner of what is created).
    pub local_user: String,
    pub log_format: LogFormat,
    /// The most jobs one experiment's graph may have (`HINDCAST_MAX_JOBS`).
    pub max_jobs: u64,
    /// Seed a demo experiment into an empty catalogue at start (`HINDCAST_DEMO`).
    pub demo: bool,
    /// Where jobs' scripts, logs, outputs and temp files live (`HINDCAST_DATA_DIR`; by
    /// default the SQLite file's folder, else `data`).
    pub data_dir: PathBuf,
    /// Jobs running at once on this machine, over all experiments (`HINDCAST_MAX_PARALLEL_JOBS`).
    pub max_parallel_jobs: usize,
    /// How long job progress is gathered before one write (`HINDCAST_WRITE_INTERVAL_MS`):
    /// longer means fewer transactions, and pages that see changes later.
    pub write_interval: std::time::Duration,
    /// How often Slurm's queue is read for the jobs followed (`HINDCAST_SLURM_POLL_MS`): one
    /// `squeue` per login node per poll, for all of its jobs.
    pub slurm_poll: std::time::Duration,
    /// How long a run stays this server's without renewal (`HINDCAST_RUN_LEASE_SECONDS`):
    /// with several servers on one PostgreSQL, the runs of a server silent for longer are
    /// taken over by another.
    pub run_lease: std::time::Duration,
    /// Where ended attempts' and runs' files are copied for every server to read
    /// (`HINDCAST_ARTIFACTS_URL`, `s3://bucket/prefix`); none by default.
    pub artifacts: Option<ArtifactSettings>,
    /// Who must log in, and the keys of sessions and tokens.
    pub auth: AuthSettings,
}

/// An S3-compatible object store: its address and the `AWS_*` variables that reach it
/// (credentials, region, endpoint), kept out of debug output.
#[derive(Clone)]
pub struct ArtifactSettings {
    pub url: String,
    pub aws: Vec<(String, SecretString)>,
}

impl std::fmt::Debug for ArtifactSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.aws.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("ArtifactSettings").field("url", &self.url).field("aws", &names).finish()
    }
}

/// The `AWS_*` variables an object store reads (as the AWS tools name them).
const AWS_VARIABLES: [&str; 9] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ALLOW_HTTP",
    "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
    "AWS_SKIP_SIGNATURE",
];

/// `PROTECTION_LEVEL`: what needs a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// Every page and endpoint (the default).
    All,
    /// Every action; reading is public.
    WriteOnly,
    /// Nothing: everyone acts as the local user. For a single-user workstation only.
    None,
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub protection: Protection,
    /// `SECRET_KEY`: signs session cookies (and API tokens). Required unless `PROTECTION_LEVEL`
    /// is NONE or `HINDCAST_DEV` is set, in which case a random key lives as long as the process.
    pub secret_key: Option<SecretString>,
    /// `HINDCAST_DEV`: a developer's workstation; starts without `SECRET_KEY`.
    pub dev: bool,
    /// `HINDCAST_SECURE_COOKIES`: mark cookies Secure (set it when served over https).
    pub secure_cookies: bool,
    /// Logins through other services (CAS now), and what they need to know about us.
    pub external: crate::auth::providers::ExternalLogin,
    /// `EMBED_FRAME_ANCESTORS`: the portals (origins, space- or comma-separated) allowed to
    /// frame the `/embed/…` pages; every other page forbids framing.
    pub embed_frame_ancestors: Vec<String>,
}

/// The shortest `SECRET_KEY` accepted: 32 characters, as many bytes of randomness as the
/// cookie signature keeps.
pub const MIN_SECRET_KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not valid configuration: {source}")]
    Parse { path: PathBuf, source: Box<toml::de::Error> },
    #[error("{name}: {message}")]
    Invalid { name: &'static str, message: String },
}

/// The file layer: every key optional, names as the environment variables in lower case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLayer {
    database_url: Option<String>,
    leptos_site_addr: Option<String>,
    leptos_site_root: Option<PathBuf>,
    leptos_site_pkg_dir: Option<String>,
    leptos_output_name: Option<String>,
    hindcast_local_user: Option<String>,
    hindcast_log_format: Option<String>,
    hindcast_max_jobs: Option<u64>,
    hindcast_demo: Option<bool>,
    hindcast_data_dir: Option<PathBuf>,
    hindcast_max_parallel_jobs: Option<usize>,
    hindcast_write_interval_ms: Option<u64>,
    hindcast_slurm_poll_ms: Option<u64>,
    hindcast_run_lease_seconds: Option<u64>,
    hindcast_artifacts_url: Option<String>,
    protection_level: Option<String>,
    secret_key: Option<String>,
    hindcast_dev: Option<bool>,
    hindcast_secure_cookies: Option<bool>,
    hindcast_public_url: Option<String>,
    hindcast_external_role: Option<String>,
    cas_server_url: Option<String>,
    cas_login_url: Option<String>,
    cas_verify_url: Option<String>,
    cas_protocol: Option<String>,
    github_oauth_client_id: Option<String>,
    github_oauth_client_secret: Option<String>,
    github_oauth_whitelist_organization: Option<String>,
    github_oauth_whitelist_team: Option<String>,
    github_oauth_authorize_url: Option<String>,
    github_oauth_token_url: Option<String>,
    github_api_url: Option<String>,
    oidc_issuer_url: Option<String>,
    oidc_client_id: Option<String>,
    oidc_client_secret: Option<String>,
    oidc_username_claim: Option<String>,
    embed_frame_ancestors: Option<String>,
}

/// The file's values of the login settings.
struct AuthFileLayer {
    embed_frame_ancestors: Option<String>,
    protection_level: Option<String>,
    secret_key: Option<String>,
    hindcast_dev: Option<bool>,
    hindcast_secure_cookies: Option<bool>,
    external: crate::auth::providers::ExternalFileLayer,
}

/// A true/false variable (`true`/`1`/`yes` or `false`/`0`/`no`), else the file's value.
fn flag(env: &impl Fn(&str) -> Option<String>, name: &'static str, from_file: Option<bool>) -> Result<bool, ConfigError> {
    match env(name).as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(from_file.unwrap_or(false)),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(other) => Err(ConfigError::Invalid { name, message: format!("'{other}' is not true or false") }),
    }
}

/// A number of `unit` within `range`: from the environment, else the file, else `default`.
fn ranged(
    env: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    unit: &str,
    range: std::ops::RangeInclusive<u64>,
    from_file: Option<u64>,
    default: u64,
) -> Result<u64, ConfigError> {
    match env(name) {
        Some(text) => text.parse::<u64>().ok().filter(|n| range.contains(n)).ok_or_else(|| ConfigError::Invalid {
            name,
            message: format!("'{text}' is not a number of {unit} from {} to {}", range.start(), range.end()),
        }),
        None => Ok(from_file.unwrap_or(default)),
    }
}

fn auth_settings(env: &impl Fn(&str) -> Option<String>, layer: AuthFileLayer, site_addr: SocketAddr) -> Result<AuthSettings, ConfigError> {
    let protection = match env("PROTECTION_LEVEL").or(layer.protection_level).map(|t| t.to_ascii_uppercase()).as_deref() {
        None | Some("ALL") => Protection::All,
        Some("WRITEONLY") => Protection::WriteOnly,
        Some("NONE") => Protection::None,
        Some(other) => {
            return Err(ConfigError::Invalid { name: "PROTECTION_LEVEL", message: format!("'{other}' is not ALL, WRITEONLY or NONE") })
        }
    };
    let dev = flag(env, "HINDCAST_DEV", layer.hindcast_dev)?;
    let secret_key = env("SECRET_KEY").or(layer.secret_key);
    if secret_key.as_ref().is_some_and(|k| k.chars().count() < MIN_SECRET_KEY_LEN) {
        return Err(ConfigError::Invalid {
            name: "SECRET_KEY",
            message: format!("must be at least {MIN_SECRET_KEY_LEN} characters (e.g. the output of `openssl rand -hex 32`)"),
        });
    }
    if secret_key.is_none() && protection != Protection::None && !dev {
        return Err(ConfigError::Invalid {
            name: "SECRET_KEY",
            message: "is required when PROTECTION_LEVEL is ALL or WRITEONLY; on a workstation, HINDCAST_DEV=true starts without one".into(),
        });
    }
    Ok(AuthSettings {
        protection,
        secret_key: secret_key.map(SecretString::from),
        dev,
        secure_cookies: flag(env, "HINDCAST_SECURE_COOKIES", layer.hindcast_secure_cookies)?,
        external: crate::auth::providers::ExternalLogin::load(env, layer.external, site_addr)?,
        embed_frame_ancestors: frame_ancestors(env("EMBED_FRAME_ANCESTORS").or(layer.embed_frame_ancestors))?,
    })
}

/// Origins like `https://portal.example.org` (or `'self'`); anything that could bend the
/// policy (quotes, semicolons, paths, wildcards beyond a subdomain's) is refused.
fn frame_ancestors(text: Option<String>) -> Result<Vec<String>, ConfigError> {
    let Some(text) = text else { return Ok(Vec::new()) };
    text.split([' ', ','])
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
            let host_ok = host.is_some_and(|h| {
                let h = h.strip_prefix("*.").unwrap_or(h);
                !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
            });
            if origin == "'self'" || host_ok {
                Ok(origin.to_owned())
            } else {
                Err(ConfigError::Invalid {
                    name: "EMBED_FRAME_ANCESTORS",
                    message: format!("'{origin}' is not an origin like https://portal.example.org"),
                })
            }
        })
        .collect()
}

impl Settings {
    /// Loads defaults, then `file` if given, then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, |name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// As `load`, for commands that only open the database (`hindcast user`): they sign
    /// nothing, so a missing `SECRET_KEY` is no reason to refuse them.
    pub fn load_for_database(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, |name| match name {
            "HINDCAST_DEV" => Some("true".to_owned()),
            _ => std::env::var(name).ok().filter(|v| !v.is_empty()),
        })
    }

    /// As `load`, reading variables through `env` (tests pass a map).
    pub fn load_from(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let layer = match file {
            None => FileLayer::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: path.into(), source })?;
                toml::from_str(&text)
                    .map_err(|source| ConfigError::Parse { path: path.into(), source: Box::new(source) })?
            }
        };
        let pick = |name: &str, from_file: Option<String>, default: &str| {
            env(name).or(from_file).unwrap_or_else(|| default.to_owned())
        };
        let site_addr_text = pick("LEPTOS_SITE_ADDR", layer.leptos_site_addr, DEFAULT_SITE_ADDR);
        let site_addr = site_addr_text.parse().map_err(|_| ConfigError::Invalid {
            name: "LEPTOS_SITE_ADDR",
            message: format!("'{site_addr_text}' is not an address like 127.0.0.1:3000"),
        })?;
        let log_format = match pick("HINDCAST_LOG_FORMAT", layer.hindcast_log_format, "text").as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError::Invalid {
                    name: "HINDCAST_LOG_FORMAT",
                    message: format!("'{other}' is neither text nor json"),
                })
            }
        };
        let local_user = env("HINDCAST_LOCAL_USER")
            .or(layer.hindcast_local_user)
            .or_else(|| env("USER"))
            .unwrap_or_else(|| "local".to_owned());
        let max_jobs = match env("HINDCAST_MAX_JOBS") {
            Some(text) => text.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| ConfigError::Invalid {
                name: "HINDCAST_MAX_JOBS",
                message: format!("'{text}' is not a positive whole number"),
            })?,
            None => layer.hindcast_max_jobs.unwrap_or(app::workflow::DEFAULT_MAX_JOBS),
        };
        let demo = flag(&env, "HINDCAST_DEMO", layer.hindcast_demo)?;
        let database_url = pick("DATABASE_URL", layer.database_url, DEFAULT_DATABASE_URL);
        let data_dir = env("HINDCAST_DATA_DIR")
            .map(PathBuf::from)
            .or(layer.hindcast_data_dir)
            .or_else(|| sqlite_folder(&database_url))
            .unwrap_or_else(|| PathBuf::from("data"));
        let max_parallel_jobs = match env("HINDCAST_MAX_PARALLEL_JOBS") {
            Some(text) => text.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| ConfigError::Invalid {
                name: "HINDCAST_MAX_PARALLEL_JOBS",
                message: format!("'{text}' is not a positive whole number"),
            })?,
            None => layer.hindcast_max_parallel_jobs.unwrap_or(DEFAULT_MAX_PARALLEL_JOBS),
        };
        let write_interval_ms = ranged(&env, "HINDCAST_WRITE_INTERVAL_MS", "milliseconds", 1..=600_000, layer.hindcast_write_interval_ms, DEFAULT_WRITE_INTERVAL_MS)?;
        let slurm_poll_ms = ranged(&env, "HINDCAST_SLURM_POLL_MS", "milliseconds", 100..=600_000, layer.hindcast_slurm_poll_ms, DEFAULT_SLURM_POLL_MS)?;
        let run_lease_seconds = ranged(&env, "HINDCAST_RUN_LEASE_SECONDS", "seconds", 3..=3600, layer.hindcast_run_lease_seconds, DEFAULT_RUN_LEASE_SECONDS)?;
        let artifacts = match env("HINDCAST_ARTIFACTS_URL").or(layer.hindcast_artifacts_url).filter(|u| !u.is_empty()) {
            None => None,
            Some(url) => {
                let aws: Vec<(String, SecretString)> =
                    AWS_VARIABLES.iter().filter_map(|name| env(name).map(|v| ((*name).to_owned(), SecretString::from(v)))).collect();
                // Checked now, so a wrong address stops the server before it binds.
                let exposed = aws.iter().map(|(k, v)| (k.clone(), v.expose_secret().to_owned()));
                crate::storage::ObjectStorage::open(&url, exposed).map_err(|message| ConfigError::Invalid { name: "HINDCAST_ARTIFACTS_URL", message })?;
                Some(ArtifactSettings { url, aws })
            }
        };
        let auth = auth_settings(
            &env,
            AuthFileLayer {
                embed_frame_ancestors: layer.embed_frame_ancestors,
                protection_level: layer.protection_level,
                secret_key: layer.secret_key,
                hindcast_dev: layer.hindcast_dev,
                hindcast_secure_cookies: layer.hindcast_secure_cookies,
                external: crate::auth::providers::ExternalFileLayer {
                    hindcast_public_url: layer.hindcast_public_url,
                    hindcast_external_role: layer.hindcast_external_role,
                    cas_server_url: layer.cas_server_url,
                    cas_login_url: layer.cas_login_url,
                    cas_verify_url: layer.cas_verify_url,
                    cas_protocol: layer.cas_protocol,
                    github_oauth_client_id: layer.github_oauth_client_id,
                    github_oauth_client_secret: layer.github_oauth_client_secret,
                    github_oauth_whitelist_organization: layer.github_oauth_whitelist_organization,
                    github_oauth_whitelist_team: layer.github_oauth_whitelist_team,
                    github_oauth_authorize_url: layer.github_oauth_authorize_url,
                    github_oauth_token_url: layer.github_oauth_token_url,
                    github_api_url: layer.github_api_url,
                    oidc_issuer_url: layer.oidc_issuer_url,
                    oidc_client_id: layer.oidc_client_id,
                    oidc_client_secret: layer.oidc_client_secret,
                    oidc_username_claim: layer.oidc_username_claim,
                },
            },
            site_addr,
        )?;
        Ok(Self {
            database_url: SecretString::from(database_url),
            site_addr,
            site_root: env("LEPTOS_SITE_ROOT")
                .map(PathBuf::from)
                .or(layer.leptos_site_root)
                .unwrap_or_else(|| PathBuf::from(BUILT_SITE_ROOT.unwrap_or("target/site"))),
            site_pkg_dir: pick("LEPTOS_SITE_PKG_DIR", layer.leptos_site_pkg_dir, "pkg"),
            output_name: pick("LEPTOS_OUTPUT_NAME", layer.leptos_output_name, BUILT_OUTPUT_NAME.unwrap_or("hindcast")),
            local_user,
            log_format,
            max_jobs,
            demo,
            data_dir,
            max_parallel_jobs,
            write_interval: std::time::Duration::from_millis(write_interval_ms),
            slurm_poll: std::time::Duration::from_millis(slurm_poll_ms),
            run_lease: std::time::Duration::from_secs(run_lease_seconds),
            artifacts,
            auth,
        })
    }

    pub fn database_url(&self) -> &str {
        self.database_url.expose_secret()
    }
}

/// `sqlite://data/hindcast.db?mode=rwc` → `data`.
fn sqlite_folder(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = Path::new(path.split('?').next().unwrap_or_default());
    let parent = path.parent()?;
    Some(if parent.as_os_str().is_empty() { PathBuf::from(".") } else { parent.to_path_buf() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The variables given, on a developer's workstation (`HINDCAST_DEV`) unless they say.
    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let mut map: HashMap<String, String> = HashMap::from([("HINDCAST_DEV".to_owned(), "true".to_owned())]);
        map.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        move |k| map.get(k).cloned()
    }

    #[test]
    fn frame_ancestors_are_origins_only() {
        let list = frame_ancestors(Some("https://portal.example.org, http://127.0.0.1:8080 'self' https://*.bsc.es".into())).unwrap();
        assert_eq!(list, ["https://portal.example.org", "http://127.0.0.1:8080", "'self'", "https://*.bsc.es"]);
        for bad in ["*", "portal.example.org", "https://a.org;script-src *", "https://a.org/path", "'unsafe-inline'", "https://"] {
            assert!(frame_ancestors(Some(bad.into())).is_err(), "{bad}");
        }
        assert!(frame_ancestors(None).unwrap().is_empty());
    }

    #[test]
    fn protection_defaults_to_all_and_needs_a_secret_key_outside_development() {
        let prod = |pairs: &[(&str, &str)]| Settings::load_from(None, env_of(&[&[("HINDCAST_DEV", "false")], pairs].concat()));
        let err = prod(&[]).unwrap_err().to_string();
        assert!(err.starts_with("SECRET_KEY: is required when PROTECTION_LEVEL is ALL"), "{err}");
        assert!(prod(&[("SECRET_KEY", "short")]).unwrap_err().to_string().contains("at least 32 characters"));
        let key = "k".repeat(32);
        let s = prod(&[("SECRET_KEY", &key)]).unwrap();
        assert_eq!((s.auth.protection, s.auth.dev, s.auth.secure_cookies), (Protection::All, false, false));
        assert!(!format!("{s:?}").contains(&key), "the key stays out of debug output");
        assert_eq!(prod(&[("PROTECTION_LEVEL", "none")]).unwrap().auth.protection, Protection::None);
        let s = prod(&[("PROTECTION_LEVEL", "WriteOnly"), ("SECRET_KEY", &key), ("HINDCAST_SECURE_COOKIES", "yes")]).unwrap();
        assert_eq!((s.auth.protection, s.auth.secure_cookies), (Protection::WriteOnly, true));
        assert!(prod(&[("PROTECTION_LEVEL", "some")]).unwrap_err().to_string().starts_with("PROTECTION_LEVEL: 'SOME'"));
        let dev = Settings::load_from(None, env_of(&[])).unwrap();
        assert!(dev.auth.dev && dev.auth.secret_key.is_none());
    }

    #[test]
    fn defaults_apply_without_file_or_env() {
        let s = Settings::load_from(None, env_of(&[])).unwrap();
        assert_eq!(s.database_url(), DEFAULT_DATABASE_URL);
        assert_eq!(s.site_addr.to_string(), DEFAULT_SITE_ADDR);
        assert_eq!(s.local_user, "local");
        assert_eq!(s.data_dir, PathBuf::from("data"));
        let s = Settings::load_from(None, env_of(&[("DATABASE_URL", "sqlite:///tmp/x/h.db?mode=rwc")])).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn env_overrides_file_and_file_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hindcast.toml");
        std::fs::write(&path, "database_url = \"postgres://u:hunter2@db/h\"\nleptos_site_addr = \"127.0.0.1:4000\"\n").unwrap();
        let s = Settings::load_from(Some(&path), env_of(&[("LEPTOS_SITE_ADDR", "127.0.0.1:5000")])).unwrap();
        assert_eq!(s.database_url(), "postgres://u:hunter2@db/h");
        assert_eq!(s.site_addr.port(), 5000);
    }

    #[test]
    fn secrets_do_not_appear_in_debug_output() {
        let vars = [("DATABASE_URL", "postgres://u:hunter2@db/h"), ("HINDCAST_ARTIFACTS_URL", "s3://b/p"), ("AWS_ACCESS_KEY_ID", "k"), ("AWS_SECRET_ACCESS_KEY", "hunter3")];
        let s = Settings::load_from(None, env_of(&vars)).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{s:?}").contains("hunter3"));
        assert!(format!("{s:?}").contains("AWS_SECRET_ACCESS_KEY"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = Settings::load_from(None, env_of(&[("LEPTOS_SITE_ADDR", "nowhere")])).unwrap_err();
        assert!(err.to_string().starts_with("LEPTOS_SITE_ADDR"));
        for (name, bad) in [("HINDCAST_SLURM_POLL_MS", "50"), ("HINDCAST_RUN_LEASE_SECONDS", "1"), ("HINDCAST_WRITE_INTERVAL_MS", "x")] {
            let err = Settings::load_from(None, env_of(&[(name, bad)])).unwrap_err();
            assert!(err.to_string().starts_with(name), "{err}");
        }
        let s = Settings::load_from(None, env_of(&[("HINDCAST_SLURM_POLL_MS", "250"), ("HINDCAST_RUN_LEASE_SECONDS", "5")])).unwrap();
        assert_eq!((s.slurm_poll.as_millis(), s.run_lease.as_secs()), (250, 5));
        let err = Settings::load_from(None, env_of(&[("HINDCAST_ARTIFACTS_URL", "minio://b")])).unwrap_err();
        assert!(err.to_string().starts_with("HINDCAST_ARTIFACTS_URL: 'minio://b' is not an s3://"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "database_ulr = \"x\"").unwrap();
        assert!(matches!(Settings::load_from(Some(&path), env_of(&[])), Err(ConfigError::Parse { .. })));
    }
}
