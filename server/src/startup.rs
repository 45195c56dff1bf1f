//! Building and running the HTTP application. Tests call `Application::build` with port 0.

use crate::engine::local::LocalExecutor;
use crate::engine::platforms::Platforms;
use crate::engine::slurm::SlurmExecutor;
use crate::engine::EngineOptions;
use crate::engine::Engine;
use crate::auth::accounts::Accounts;
use crate::auth::guard::{self, Guard};
use crate::auth::{account, admin, login, sharing};
use crate::auth::sessions::Sessions;
use crate::config::Protection;
use crate::{api, config::Settings};
use secrecy::ExposeSecret;

type AuthLayer = axum_login::AuthManagerLayer<Accounts, Sessions, tower_sessions::service::SignedCookie>;
use std::sync::Arc;
use app::actor::Actor;
use app::context::AppContext;
use app::workflow::ops::WorkflowLimits;
use app::store::{self, SharedStore, StoreError};
use app::{shell, App};
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("opening the database: {0}")]
    Store(#[from] StoreError),
    #[error("preparing the session table: {0}")]
    Sessions(#[from] sqlx::Error),
    #[error("no random source for the token key: {0}")]
    Randomness(app::error::HindcastError),
    #[error("the data folder {path}: {source}")]
    DataDir { path: std::path::PathBuf, source: std::io::Error },
    #[error("the local executor cannot start jobs: {0}")]
    Executor(String),
    #[error("listening on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("opening the shared event log: {0}")]
    Events(sqlx::Error),
    #[error("HINDCAST_ARTIFACTS_URL: {0}")]
    Artifacts(String),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    store: SharedStore,
}

impl Application {
    /// Opens the database (running migrations) and binds the listener; serves nothing yet.
    pub async fn build(mut settings: Settings) -> Result<Self, StartupError> {
        let store = store::connect(settings.database_url()).await?;
        let listener = TcpListener::bind(settings.site_addr)
            .await
            .map_err(|source| StartupError::Bind { addr: settings.site_addr, source })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Bind { addr: settings.site_addr, source })?;
        if !settings.auth.external.public_url_given {
            // Port 0 (tests) becomes a real port only now.
            settings.auth.external.public_url = format!("http://{addr}");
        }
        // Absolute: jobs run in their own folders, and their scripts are named by this path.
        settings.data_dir = std::path::absolute(&settings.data_dir).map_err(|source| StartupError::DataDir { path: settings.data_dir.clone(), source })?;
        // On PostgreSQL other servers may share the database: live events go through it.
        let (events, peers) = match store.database() {
            app::store::Database::Postgres(pool) => {
                let shared = crate::engine::shared_events::start(pool).await.map_err(StartupError::Events)?;
                (shared.hub, Some((shared.peers, shared.stops)))
            }
            app::store::Database::Sqlite(_) => (Arc::new(crate::engine::events::EventHub::default()), None),
        };
        let archive = match &settings.artifacts {
            Some(artifacts) => Some(open_artifact_store(artifacts).await.map_err(StartupError::Artifacts)?),
            None => None,
        };
        let engine = Engine::new(
            store.clone(),
            Arc::new(Platforms::new(LocalExecutor::new().map_err(StartupError::Executor)?, SlurmExecutor::new(settings.slurm_poll))),
            EngineOptions {
                data_dir: settings.data_dir.clone(),
                // Jobs on other machines (Slurm's nodes) reach the server where browsers do.
                api_url: if settings.auth.external.public_url_given { settings.auth.external.public_url.trim_end_matches('/').to_owned() } else { format!("http://{addr}") },
                max_parallel_jobs: settings.max_parallel_jobs,
                write_interval: settings.write_interval,
                lease: settings.run_lease,
                events,
                peers,
                single_server: matches!(store.database(), app::store::Database::Sqlite(_)),
                archive: archive.clone(),
            },
        );
        let context = AppContext {
            store: store.clone(),
            local_actor: Actor::local(&settings.local_user),
            limits: WorkflowLimits { max_jobs: settings.max_jobs },
            engine: Arc::new(engine.clone()),
        };
        let hub = engine.hub();
        // Interrupted runs are settled in the background: a job still running may take long.
        tokio::spawn(async move { engine.resume().await });
        if settings.demo {
            if let Err(err) = crate::demo::seed_if_empty(&context).await {
                tracing::warn!(error = %err, "the demo experiment could not be seeded");
            }
        }
        let sessions = crate::auth::sessions::Sessions::open(store.database()).await?;
        sessions.spawn_cleanup();
        match settings.auth.protection {
            Protection::None => tracing::warn!(
                local_user = %settings.local_user,
                "PROTECTION_LEVEL=NONE: no login; everyone who reaches this server acts as the local user"
            ),
            level => tracing::info!(?level, "login required (PROTECTION_LEVEL)"),
        }
        if settings.auth.secret_key.is_none() && settings.auth.protection != Protection::None {
            tracing::warn!("HINDCAST_DEV: no SECRET_KEY; sessions end when the server stops");
        }
        let jwt = crate::auth::jwt::JwtKeys::new(settings.auth.secret_key.as_ref()).map_err(StartupError::Randomness)?;
        let embed = crate::auth::embed_links::EmbedKeys::new(settings.auth.secret_key.as_ref()).map_err(StartupError::Randomness)?;
        let files = api::JobFiles::new(settings.data_dir.clone(), archive);
        let router = router(&settings, context, hub, files, sessions, Arc::new(jwt), Arc::new(embed));
        Ok(Self { listener, router, store })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn store(&self) -> SharedStore {
        self.store.clone()
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let addr = self.local_addr();
        tracing::info!(backend = self.store.backend(), "Hindcast listening on http://{addr}");
        // The peer's address reaches handlers (failed logins are counted per address).
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        // Streamed answers (zips, logs) go out in small writes: without Nagle's delay.
        let listener = axum::serve::ListenerExt::tap_io(self.listener, |tcp| {
            if let Err(err) = tcp.set_nodelay(true) {
                tracing::debug!(error = %err, "TCP_NODELAY could not be set");
            }
        });
        axum::serve(listener, service).with_graceful_shutdown(shutdown).await?;
        tracing::info!("Hindcast stopped");
        Ok(())
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing requests in flight");
}

#[derive(Clone, axum::extract::FromRef)]
struct WebState {
    leptos_options: LeptosOptions,
    context: AppContext,
}

/// The client that asks login providers: bounded in time, never following redirects (an
/// answer is expected from the URL configured, not from wherever it points).
fn provider_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("hindcast/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Sessions in the database, their cookie signed with a key derived from `SECRET_KEY`
/// (random for the process's life without one), HttpOnly, SameSite=Lax, Secure when asked.
fn session_layer(settings: &Settings, sessions: Sessions, store: SharedStore) -> AuthLayer {
    use sha2::Digest;
    use tower_sessions::cookie::{time, Key, SameSite};
    let key = match &settings.auth.secret_key {
        Some(secret) => Key::from(&sha2::Sha512::digest(secret.expose_secret().as_bytes())),
        None => Key::generate(),
    };
    let layer = tower_sessions::SessionManagerLayer::new(sessions)
        .with_name("hindcast_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.auth.secure_cookies)
        .with_expiry(tower_sessions::Expiry::OnInactivity(time::Duration::days(7)))
        .with_signed(key);
    axum_login::AuthManagerLayerBuilder::new(Accounts::new(store), layer).build()
}

/// The object store named by `HINDCAST_ARTIFACTS_URL`, once it answered.
async fn open_artifact_store(settings: &crate::config::ArtifactSettings) -> Result<crate::storage::SharedArtifacts, String> {
    use secrecy::ExposeSecret;
    let vars = settings.aws.iter().map(|(k, v)| (k.clone(), v.expose_secret().to_owned()));
    let store = crate::storage::ObjectStorage::open(&settings.url, vars)?;
    store.check().await?;
    tracing::info!(store = %settings.url, "ended attempts' files are copied to the object store");
    Ok(Arc::new(store))
}

fn router(
    settings: &Settings,
    context: AppContext,
    hub: Arc<crate::engine::events::EventHub>,
    files: api::JobFiles,
    sessions: Sessions,
    jwt: Arc<crate::auth::jwt::JwtKeys>,
    embed: Arc<crate::auth::embed_links::EmbedKeys>,
) -> Router {
    let leptos_options = LeptosOptions::builder()
        .output_name(settings.output_name.clone())
        .site_root(settings.site_root.to_string_lossy().into_owned())
        .site_pkg_dir(settings.site_pkg_dir.clone())
        .site_addr(settings.site_addr)
        .build();
    let routes = generate_route_list(App);
    let state = WebState { leptos_options: leptos_options.clone(), context: context.clone() };
    let page_context = context.clone();
    let protection = settings.auth.protection;
    let throttle = Arc::new(crate::auth::throttle::Throttle::default());
    let guard = Guard {
        protection,
        local_user: settings.local_user.clone(),
        store: context.store.clone(),
        throttle: throttle.clone(),
        jwt: jwt.clone(),
        embed: embed.clone(),
    };
    let auth_layer = session_layer(settings, sessions, context.store.clone());
    let login_routes = Router::new()
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/login/cas", get(crate::auth::cas::login))
        .route("/login/github", get(crate::auth::github::start))
        .route("/login/github/callback", get(crate::auth::github::callback))
        .route("/login/oidc", get(crate::auth::oidc::start))
        .route("/login/oidc/callback", get(crate::auth::oidc::callback))
        .with_state(login::LoginPage {
            enabled: protection != Protection::None,
            throttle,
            store: context.store.clone(),
            external: settings.auth.external.clone(),
            http: provider_client(),
            cas_tickets: Arc::default(),
        });
    let account_routes = Router::new()
        .route("/account", get(account::page))
        .route("/account/password", post(account::change_password))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route("/admin", get(admin::users_page))
        .route("/admin/users", post(admin::add_user))
        .route("/admin/users/{name}/role", post(admin::set_role))
        .route("/admin/users/{name}/password", post(admin::reset_password))
        .route("/admin/users/{name}/remove", post(admin::remove_user))
        .route("/admin/users/{name}/tokens", get(admin::tokens_page))
        .route("/admin/users/{name}/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/admin/audit", get(admin::audit_page))
        .route("/experiments/{expid}/access", get(sharing::page))
        .route("/experiments/{expid}/access/collaborators", post(sharing::add_collaborator))
        .route("/experiments/{expid}/access/collaborators/{name}/remove", post(sharing::remove_collaborator))
        .route("/experiments/{expid}/access/owner", post(sharing::set_owner))
        .route("/experiments/{expid}/access/embed", post(sharing::create_embed_link))
        .route("/experiments/{expid}/access/embed/revoke", post(sharing::revoke_embed_links_form))
        .route("/embed/experiments/{expid}/{view}", get(crate::embed::page))
        .with_state(context.clone());
    Router::new()
        .merge(login_routes)
        .merge(account_routes)
        .route("/healthz", get(healthz))
        .nest("/v4", api::router(context.clone(), files, hub))
        .route("/api/{*server_fn}", get(server_fn_handler).post(server_fn_handler))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(page_context.clone()),
            {
                let options = leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<WebState, _>(shell))
        .with_state(state)
        // The guard runs inside the session layer, which loads the session's user first.
        .layer(axum::middleware::from_fn_with_state(guard, guard::guard))
        .layer(axum::Extension(jwt))
        .layer(axum::Extension(embed))
        .layer(axum::Extension(crate::auth::providers::PublicUrl(settings.auth.external.public_url.clone())))
        .layer(auth_layer)
        .layer(axum::middleware::from_fn(crate::web_security::refuse_cross_site_writes))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(axum::middleware::from_fn_with_state(
            crate::framing::Framing::new(&settings.auth.embed_frame_ancestors),
            crate::framing::content_security_policy,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str)
                .unwrap_or("unmatched");
            tracing::info_span!("http", method = %req.method(), route, path = %req.uri().path())
        }))
}

async fn server_fn_handler(State(state): State<WebState>, request: Request<Body>) -> impl IntoResponse {
    let context = state.context.clone();
    handle_server_fns_with_context(move || provide_context(context.clone()), request).await
}

async fn healthz(State(state): State<WebState>) -> Response {
    match state.context.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(err) => {
            tracing::error!(error = %err, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}
