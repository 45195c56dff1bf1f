//! `hindcast client …`: drives a remote Hindcast through its `/v4` API — submit a run from a
//! JSON payload, query experiments, runs and jobs, download logs to a file, follow events,
//! and the experiment actions. The server's URL and credentials come from flags or the
//! environment (`HINDCAST_URL`, `HINDCAST_TOKEN`, `HINDCAST_USER`/`HINDCAST_PASSWORD`).

use clap::{Args, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args)]
pub struct ClientArgs {
    /// The server, e.g. http://127.0.0.1:3000.
    #[arg(long, env = "HINDCAST_URL", default_value = "http://127.0.0.1:3000")]
    url: String,
    /// An API token, sent as `Authorization: Bearer …`.
    #[arg(long, env = "HINDCAST_TOKEN", hide_env_values = true)]
    token: Option<SecretString>,
    /// A user for basic authentication (with `--password`).
    #[arg(long, env = "HINDCAST_USER")]
    user: Option<String>,
    #[arg(long, env = "HINDCAST_PASSWORD", hide_env_values = true)]
    password: Option<SecretString>,
    #[command(subcommand)]
    command: ClientCommand,
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Start a run from a JSON payload (mode, jobs, force, extras …; `-` reads stdin).
    Run {
        expid: String,
        #[arg(long)]
        input: PathBuf,
        /// Wait for the run to end; the exit code tells how it ended (0 passed, 1 otherwise).
        #[arg(long)]
        wait: bool,
    },
    /// Print an experiment, one of its runs (`--run`) or one of its jobs (`--job`) as JSON.
    Get {
        expid: String,
        #[arg(long, conflicts_with = "job")]
        run: Option<i64>,
        #[arg(long)]
        job: Option<String>,
    },
    /// List an experiment's runs as JSON.
    Runs { expid: String },
    /// Download a job's log (`--job`) or a run's log (`--run`) whole, to `--output`.
    Logs {
        expid: String,
        #[arg(long, required_unless_present = "run")]
        job: Option<String>,
        #[arg(long)]
        run: Option<i64>,
        /// `out` or `err` (job logs).
        #[arg(long, default_value = "out")]
        stream: String,
        /// The attempt within `--run` (job logs; default: the latest attempt).
        #[arg(long)]
        attempt: Option<i32>,
        #[arg(long)]
        output: PathBuf,
    },
    /// Print the experiment's live events, one JSON line each (`--count` stops after N).
    Events {
        expid: String,
        #[arg(long)]
        count: Option<usize>,
        /// Resume after this event id.
        #[arg(long)]
        last_event_id: Option<String>,
    },
    /// `generate`, `run`, `restart` or `stop`.
    Action { expid: String, action: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Request(#[from] reqwest::Error),
    #[error("{status}: {message}")]
    Refused { status: u16, message: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Input(String),
}

/// Runs the client command; the process exit code.
pub async fn main(args: ClientArgs) -> Result<u8, ClientError> {
    let client = Client::new(&args)?;
    match args.command {
        ClientCommand::Run { expid, input, wait } => {
            let text = if input.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&input).map_err(|e| ClientError::Input(format!("{}: {e}", input.display())))?
            };
            let payload: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| ClientError::Input(format!("{} is not JSON: {e}", input.display())))?;
            let run = client.json(reqwest::Method::POST, &format!("/experiments/{expid}/runs"), Some(&payload)).await?;
            print_json(&run)?;
            if !wait {
                return Ok(0);
            }
            let id = run["id"].as_i64().unwrap_or_default();
            loop {
                let run = client.json(reqwest::Method::GET, &format!("/experiments/{expid}/runs/{id}"), None).await?;
                if !matches!(run["status"].as_str(), Some("queued" | "running")) {
                    print_json(&run)?;
                    return Ok(if run["status"] == "passed" { 0 } else { 1 });
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        ClientCommand::Get { expid, run, job } => {
            let path = match (run, job) {
                (Some(run), _) => format!("/experiments/{expid}/runs/{run}"),
                (None, Some(job)) => format!("/experiments/{expid}/jobs/{job}"),
                (None, None) => format!("/experiments/{expid}"),
            };
            print_json(&client.json(reqwest::Method::GET, &path, None).await?)?;
            Ok(0)
        }
        ClientCommand::Runs { expid } => {
            print_json(&client.json(reqwest::Method::GET, &format!("/experiments/{expid}/runs"), None).await?)?;
            Ok(0)
        }
        ClientCommand::Logs { expid, job, run, stream, attempt, output } => {
            let path = match job {
                Some(job) => {
                    let mut path = format!("/experiments/{expid}/jobs/{job}/log?download=true&stream={stream}");
                    if let Some(run) = run {
                        path.push_str(&format!("&run_id={run}&attempt={}", attempt.unwrap_or(1)));
                    }
                    path
                }
                None => format!("/experiments/{expid}/runs/{}/log?download=true", run.unwrap_or_default()),
            };
            let bytes = client.download(&path, &output).await?;
            eprintln!("{bytes} bytes written to {}", output.display());
            Ok(0)
        }
        ClientCommand::Events { expid, count, last_event_id } => {
            client.events(&expid, count, last_event_id.as_deref()).await?;
            Ok(0)
        }
        ClientCommand::Action { expid, action } => {
            let path = format!("/experiments/{expid}?action={action}");
            print_json(&client.json(reqwest::Method::POST, &path, None).await?)?;
            Ok(0)
        }
    }
}

fn print_json(value: &serde_json::Value) -> Result<(), ClientError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string_pretty(value).unwrap_or_default())?;
    Ok(())
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<SecretString>,
    basic: Option<(String, Option<SecretString>)>,
}

impl Client {
    fn new(args: &ClientArgs) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).build()?;
        Ok(Self {
            http,
            base: format!("{}/v4", args.url.trim_end_matches('/')),
            token: args.token.clone(),
            basic: args.user.clone().map(|u| (u, args.password.clone())),
        })
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose_secret());
        } else if let Some((user, password)) = &self.basic {
            request = request.basic_auth(user, password.as_ref().map(|p| p.expose_secret().to_owned()));
        }
        request
    }

    async fn checked(response: reqwest::Response) -> Result<reqwest::Response, ClientError> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error_message"].as_str().map(str::to_owned))
            .unwrap_or(body);
        Err(ClientError::Refused { status: status.as_u16(), message })
    }

    async fn json(&self, method: reqwest::Method, path: &str, body: Option<&serde_json::Value>) -> Result<serde_json::Value, ClientError> {
        let mut request = self.request(method, path).timeout(Duration::from_secs(60));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = Self::checked(request.send().await?).await?;
        Ok(response.json().await?)
    }

    /// Streams the body to `output` (written to a temporary name, renamed when complete).
    async fn download(&self, path: &str, output: &std::path::Path) -> Result<u64, ClientError> {
        use tokio::io::AsyncWriteExt;
        let mut response = Self::checked(self.request(reqwest::Method::GET, path).send().await?).await?;
        let partial = output.with_extension("partial");
        let mut file = tokio::fs::File::create(&partial).await?;
        let mut written = 0u64;
        while let Some(chunk) = response.chunk().await? {
            file.write_all(&chunk).await?;
            written += chunk.len() as u64;
        }
        file.flush().await?;
        tokio::fs::rename(&partial, output).await?;
        Ok(written)
    }

    async fn events(&self, expid: &str, count: Option<usize>, last: Option<&str>) -> Result<(), ClientError> {
        let mut request = self.request(reqwest::Method::GET, &format!("/experiments/{expid}/events"));
        if let Some(last) = last {
            request = request.header("last-event-id", last);
        }
        let mut response = Self::checked(request.send().await?).await?;
        let (mut buffer, mut seen) = (String::new(), 0usize);
        while let Some(chunk) = response.chunk().await? {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let field = |name: &str| block.lines().filter_map(|l| l.strip_prefix(name)).map(str::trim_start).collect::<Vec<_>>().join("\n");
                let event = field("event:");
                if event.is_empty() {
                    continue;
                }
                let data: serde_json::Value = serde_json::from_str(&field("data:")).unwrap_or(serde_json::Value::Null);
                let line = serde_json::json!({"event": event, "id": field("id:"), "data": data});
                let mut out = std::io::stdout().lock();
                writeln!(out, "{line}")?;
                out.flush()?;
                seen += 1;
                if count.is_some_and(|c| seen >= c) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}
