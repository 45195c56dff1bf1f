#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use hindcast_server::{config::Settings, startup::Application, telemetry};
use std::path::PathBuf;
use std::process::ExitCode;

/// Hindcast: a web home for scientific workflows.
#[derive(Parser)]
#[command(name = "hindcast", version)]
struct Cli {
    /// A TOML configuration file (also `HINDCAST_CONFIG`); environment variables override it.
    #[arg(long, global = true, env = "HINDCAST_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web interface and the JSON API (the default).
    Serve,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("hindcast: configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
    }
}

async fn serve(settings: Settings) -> ExitCode {
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
