#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use hindcast_server::{config::Settings, startup::Application, telemetry};
use std::path::PathBuf;
use std::process::ExitCode;

/// Hindcast: a web home for scientific workflows.
#[derive(Parser)]
#[command(name = "hindcast", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web interface and the JSON API (the default).
    Serve {
        /// A TOML settings file (also `HINDCAST_CONFIG`); environment variables override it.
        #[arg(long, env = "HINDCAST_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Drive a remote Hindcast through its API (runs, queries, logs, events, actions).
    Client(hindcast_server::client::ClientArgs),
    /// Manage accounts in the server's database (`DATABASE_URL` or the settings file):
    /// add, list, remove, set-role, reset-password.
    User {
        #[command(flatten)]
        args: hindcast_server::user_cli::UserArgs,
        /// A TOML settings file (also `HINDCAST_CONFIG`); environment variables override it.
        #[arg(long, env = "HINDCAST_CONFIG", global = true)]
        config: Option<PathBuf>,
    },
    /// Print the job graph an Autosubmit configuration generates, storing nothing:
    /// `{"jobs": […], "edges": [[parent, child], …]}`.
    Graph {
        /// The folder holding the experiment's YAML files.
        #[arg(long)]
        config: PathBuf,
        /// The experiment id used in job names.
        #[arg(long)]
        expid: String,
    },
}

fn main() -> ExitCode {
    // At least four workers: with two, Leptos' server rendering more often leaves a
    // resource's future unwoken and the page hanging (seen here on 2 cores; leptos issue
    // 4647). Four makes it rarer; it does not cure it.
    let workers = std::thread::available_parallelism().map_or(4, |n| n.get()).max(4);
    match tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build() {
        Ok(runtime) => runtime.block_on(run(Cli::parse())),
        Err(err) => {
            eprintln!("hindcast: cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::Graph { config, expid }) => graph(&config, &expid),
        Some(Command::Client(args)) => match hindcast_server::client::main(args).await {
            Ok(code) => ExitCode::from(code),
            Err(err) => {
                eprintln!("hindcast client: {err}");
                ExitCode::from(2)
            }
        },
        Some(Command::User { args, config }) => user(args, config).await,
        Some(Command::Serve { config }) => serve(config.or_else(|| std::env::var_os("HINDCAST_CONFIG").map(PathBuf::from))).await,
        None => serve(std::env::var_os("HINDCAST_CONFIG").filter(|v| !v.is_empty()).map(PathBuf::from)).await,
    }
}

fn graph(dir: &std::path::Path, expid: &str) -> ExitCode {
    let result = app::experiment::Expid::parse(expid)
        .map_err(|e| e.to_string())
        .and_then(|expid| {
            let config = app::workflow::WorkflowConfig::from_dir(dir).map_err(|e| e.to_string())?;
            app::workflow::generate(&config, expid.as_str(), app::workflow::DEFAULT_MAX_JOBS).map_err(|e| e.to_string())
        });
    match result.and_then(|graph| serde_json::to_string(&graph).map_err(|e| e.to_string())) {
        Ok(json) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            if writeln!(out, "{json}").is_err() {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("hindcast graph: {message}");
            ExitCode::from(2)
        }
    }
}

async fn user(args: hindcast_server::user_cli::UserArgs, settings_file: Option<PathBuf>) -> ExitCode {
    let settings = match Settings::load_for_database(settings_file.as_deref()) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("hindcast user: configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    let store = match app::store::connect(settings.database_url()).await {
        Ok(store) => store,
        Err(err) => {
            eprintln!("hindcast user: cannot open the database: {err}");
            return ExitCode::FAILURE;
        }
    };
    match hindcast_server::user_cli::main(args, store.as_ref()).await {
        Ok(text) => {
            use std::io::Write;
            match writeln!(std::io::stdout().lock(), "{text}") {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            }
        }
        Err(err) => {
            eprintln!("hindcast user: {err}");
            ExitCode::from(2)
        }
    }
}

async fn serve(settings_file: Option<PathBuf>) -> ExitCode {
    let settings = match Settings::load(settings_file.as_deref()) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("hindcast: configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings);
    tracing::debug!(?settings, "configuration loaded");
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(err) => {
            tracing::error!(error = %err, "could not start");
            return ExitCode::FAILURE;
        }
    };
    match app.run_until(hindcast_server::startup::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "server failed");
            ExitCode::FAILURE
        }
    }
}
