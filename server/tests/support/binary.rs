//! The `hindcast` binary started as a child process (a server that can be killed with -9).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `hindcast serve` in `dir` with `database_url` (none: its default, `./data/`); the
/// child and the URL it prints.
pub fn start_server(dir: &std::path::Path, database_url: Option<&str>) -> (std::process::Child, String) {
    start_server_with(dir, database_url, &[])
}

pub fn start_server_with(dir: &std::path::Path, database_url: Option<&str>, env: &[(&str, &str)]) -> (std::process::Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hindcast"));
    command
        .arg("serve")
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("HINDCAST_CONFIG")
        .env_remove("PROTECTION_LEVEL")
        .env_remove("HINDCAST_DEV")
        .env("SECRET_KEY", SECRET_KEY)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("HINDCAST_LOG_FORMAT", "text")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let url = loop {
        let line = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("the URL is printed");
        if let Some(at) = line.find("http://") {
            break line[at..].split_whitespace().next().unwrap().to_owned();
        }
    };
    (child, url)
}

pub const SECRET_KEY: &str = "a test key of more than thirty-two characters";
