//! Where a job section runs, read from the experiment's configuration: the platform's `TYPE`
//! picks the executor; a Slurm platform's settings (and the section's, which win) become
//! `#SBATCH` directives. Autosubmit's names are kept: `QUEUE` is the QOS, `PARTITION` the
//! partition, `PROJECT`/`BUDG` the account.

use super::remote::Connection;
use app::workflow::WorkflowConfig;
use serde_yaml::Value;
use std::sync::Arc;

/// How one section's jobs are run.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A `bash` process on this machine.
    Local,
    /// A batch job submitted with `sbatch`, locally or on a login node over SSH.
    Slurm(Arc<SlurmTarget>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SlurmTarget {
    pub platform: String,
    pub connection: Arc<Connection>,
    /// `--option=value` lines, without the `#SBATCH` prefix.
    pub directives: Vec<String>,
}

/// A platform setting that cannot be used, named by its configuration path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SpecError {
    pub path: String,
    pub message: String,
}

fn invalid(path: &str, message: impl Into<String>) -> SpecError {
    SpecError { path: path.to_owned(), message: message.into() }
}

/// The target of a section on `platform`. A platform not described under `PLATFORMS`, or of
/// `TYPE` `local` or `ps` (Autosubmit's plain-process platform), runs locally.
pub fn target(config: &WorkflowConfig, section: &str, platform: &str) -> Result<Target, SpecError> {
    let base = format!("PLATFORMS.{platform}");
    let kind = config.text(&format!("{base}.TYPE")).unwrap_or_else(|| "local".into()).trim().to_ascii_lowercase();
    match kind.as_str() {
        "local" | "ps" => Ok(Target::Local),
        "slurm" => slurm_target(config, section, platform).map(|t| Target::Slurm(Arc::new(t))),
        other => Err(invalid(&format!("{base}.TYPE"), format!("'{other}' is not a platform type Hindcast runs (local, ps, slurm)"))),
    }
}

fn slurm_target(config: &WorkflowConfig, section: &str, platform: &str) -> Result<SlurmTarget, SpecError> {
    let base = format!("PLATFORMS.{platform}");
    let job = format!("JOBS.{section}");
    // The section's setting first, then the platform's.
    let setting = |key: &str| -> Option<(String, String)> {
        [format!("{job}.{key}"), format!("{base}.{key}")].into_iter().find_map(|path| config.text(&path).map(|v| (path, v.trim().to_owned())))
    };
    let mut directives = Vec::new();
    for (option, key) in [("partition", "PARTITION"), ("account", "ACCOUNT"), ("reservation", "RESERVATION")] {
        if let Some((path, value)) = setting(key) {
            directives.push(format!("--{option}={}", directive_value(&path, &value)?));
        }
    }
    if setting("ACCOUNT").is_none() {
        if let Some((path, value)) = setting("PROJECT").or_else(|| setting("BUDG")) {
            directives.push(format!("--account={}", directive_value(&path, &value)?));
        }
    }
    if let Some((path, value)) = setting("QOS").or_else(|| setting("QUEUE")) {
        directives.push(format!("--qos={}", directive_value(&path, &value)?));
    }
    for (option, key) in [("ntasks", "PROCESSORS"), ("nodes", "NODES"), ("ntasks-per-node", "TASKS"), ("cpus-per-task", "THREADS")] {
        if let Some((path, value)) = setting(key) {
            let count: u32 = value.parse().ok().filter(|&n| n > 0).ok_or_else(|| invalid(&path, format!("'{value}' is not a positive whole number")))?;
            directives.push(format!("--{option}={count}"));
        }
    }
    if let Some((path, value)) = setting("MEMORY") {
        let megabytes: u64 = value.parse().ok().filter(|&n| n > 0).ok_or_else(|| invalid(&path, format!("'{value}' is not a number of megabytes")))?;
        directives.push(format!("--mem={megabytes}"));
    }
    if let Some((path, value)) = setting("EXCLUSIVE") {
        match value.to_ascii_lowercase().as_str() {
            "true" | "yes" => directives.push("--exclusive".into()),
            "false" | "no" => {}
            _ => return Err(invalid(&path, format!("'{value}' is not true or false"))),
        }
    }
    for path in [format!("{base}.CUSTOM_DIRECTIVES"), format!("{job}.CUSTOM_DIRECTIVES")] {
        directives.extend(custom_directives(config, &path)?);
    }
    Ok(SlurmTarget { platform: platform.to_owned(), connection: Arc::new(connection(config, &base)?), directives })
}

/// Values go into a `#SBATCH` line: one word, no shell or line breaks.
fn directive_value(path: &str, value: &str) -> Result<String, SpecError> {
    let fine = !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:,+=@/%".contains(c));
    fine.then(|| value.to_owned()).ok_or_else(|| invalid(path, format!("'{value}' is not a valid Slurm value (letters, digits and -_.:,+=@/% only)")))
}

/// Autosubmit's `CUSTOM_DIRECTIVES`: a list (or one string) of `#SBATCH …` lines.
fn custom_directives(config: &WorkflowConfig, path: &str) -> Result<Vec<String>, SpecError> {
    let lines: Vec<String> = match config.get(path) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Sequence(items)) => items.iter().map(|i| i.as_str().map(str::to_owned).ok_or_else(|| invalid(path, "every entry must be text"))).collect::<Result<_, _>>()?,
        Some(Value::String(text)) => python_list(text),
        Some(_) => return Err(invalid(path, "must be a list of '#SBATCH …' lines")),
    };
    lines
        .into_iter()
        .map(|line| {
            let option = line.strip_prefix("#SBATCH").map(str::trim).filter(|o| o.starts_with('-'));
            match option {
                Some(o) if !o.contains(['\n', '\r']) => Ok(o.to_owned()),
                _ => Err(invalid(path, format!("'{line}' is not a '#SBATCH --option' line"))),
            }
        })
        .collect()
}

/// Autosubmit writes lists as Python text too: "['#SBATCH --a', '#SBATCH --mail-type=END,FAIL']"
/// (quoted items; commas inside them stay), else one directive per line.
fn python_list(text: &str) -> Vec<String> {
    let text = text.trim();
    if !text.starts_with('[') {
        return text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    }
    let mut items = Vec::new();
    let mut quote: Option<char> = None;
    let mut current = String::new();
    for c in text.chars() {
        match quote {
            Some(q) if c == q => {
                items.push(std::mem::take(&mut current));
                quote = None;
            }
            Some(_) => current.push(c),
            None if c == '\'' || c == '"' => quote = Some(c),
            None => {}
        }
    }
    items
}

/// Commands run here unless the platform names another `HOST` (then over SSH, as `USER`,
/// with `SSH_KEY` and `SSH_PORT` when given).
fn connection(config: &WorkflowConfig, base: &str) -> Result<Connection, SpecError> {
    let host = config.text(&format!("{base}.HOST")).map(|h| h.trim().to_owned());
    let Some(host) = host.filter(|h| !matches!(h.as_str(), "" | "localhost" | "local")) else { return Ok(Connection::Local) };
    let check = |key: &str, value: &str| {
        let fine = !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:@/".contains(c)) && !value.starts_with('-');
        fine.then_some(()).ok_or_else(|| invalid(&format!("{base}.{key}"), format!("'{value}' is not a valid {}", key.to_ascii_lowercase())))
    };
    check("HOST", &host)?;
    let user = config.text(&format!("{base}.USER")).map(|u| u.trim().to_owned());
    if let Some(user) = &user {
        check("USER", user)?;
    }
    let port = match config.text(&format!("{base}.SSH_PORT")) {
        None => None,
        Some(p) => Some(p.trim().parse::<u16>().ok().filter(|&p| p > 0).ok_or_else(|| invalid(&format!("{base}.SSH_PORT"), format!("'{p}' is not a port")))?),
    };
    let key = config.text(&format!("{base}.SSH_KEY")).map(|k| k.trim().to_owned());
    if let Some(key) = &key {
        check("SSH_KEY", key)?;
    }
    Ok(Connection::Ssh { host, user, port, key: key.map(Into::into) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> WorkflowConfig {
        WorkflowConfig::from_files([("c.yml", yaml)]).unwrap()
    }

    #[test]
    fn slurm_settings_become_directives_and_the_section_wins() {
        let c = config(
            "PLATFORMS:\n  HPC:\n    TYPE: slurm\n    PARTITION: debug\n    PROJECT: bsc32\n    QUEUE: gp_debug\n    PROCESSORS: 4\n    CUSTOM_DIRECTIVES: ['#SBATCH --hint=nomultithread']\n\
             JOBS:\n  SIM:\n    PLATFORM: HPC\n    PROCESSORS: 8\n    THREADS: 2\n    MEMORY: 1000\n    EXCLUSIVE: true\n",
        );
        let Target::Slurm(t) = target(&c, "SIM", "HPC").unwrap() else { panic!("not slurm") };
        assert_eq!(t.connection.as_ref(), &Connection::Local);
        assert_eq!(
            t.directives,
            ["--partition=debug", "--account=bsc32", "--qos=gp_debug", "--ntasks=8", "--cpus-per-task=2", "--mem=1000", "--exclusive", "--hint=nomultithread"]
        );
    }

    #[test]
    fn local_platforms_and_bad_settings() {
        let c = config("PLATFORMS:\n  L:\n    TYPE: ps\n  P:\n    TYPE: pbs\n  S:\n    TYPE: slurm\n    PARTITION: 'a b'\n  T:\n    TYPE: slurm\n    PROCESSORS: many\n  U:\n    TYPE: slurm\n    CUSTOM_DIRECTIVES: ['rm -rf /']\n");
        assert_eq!(target(&c, "X", "L").unwrap(), Target::Local);
        assert_eq!(target(&c, "X", "LOCAL").unwrap(), Target::Local);
        assert_eq!(target(&c, "X", "P").unwrap_err().path, "PLATFORMS.P.TYPE");
        assert_eq!(target(&c, "X", "S").unwrap_err().path, "PLATFORMS.S.PARTITION");
        assert_eq!(target(&c, "X", "T").unwrap_err().path, "PLATFORMS.T.PROCESSORS");
        assert_eq!(target(&c, "X", "U").unwrap_err().path, "PLATFORMS.U.CUSTOM_DIRECTIVES");
    }

    #[test]
    fn custom_directives_as_python_text_keep_commas_inside_items() {
        let c = config("PLATFORMS:\n  S:\n    TYPE: slurm\n    CUSTOM_DIRECTIVES: \"['#SBATCH --mail-type=END,FAIL', \\\"#SBATCH --hint=nomultithread\\\"]\"\n");
        let Target::Slurm(t) = target(&c, "X", "S").unwrap() else { panic!() };
        assert_eq!(t.directives, ["--mail-type=END,FAIL", "--hint=nomultithread"]);
    }

    #[test]
    fn a_host_means_ssh() {
        let c = config("PLATFORMS:\n  R:\n    TYPE: slurm\n    HOST: login1.example.org\n    USER: alice\n    SSH_PORT: 2222\n    SSH_KEY: /keys/id\n  B:\n    TYPE: slurm\n    HOST: '-oProxyCommand=x'\n");
        let Target::Slurm(t) = target(&c, "X", "R").unwrap() else { panic!() };
        assert_eq!(t.connection.as_ref(), &Connection::Ssh { host: "login1.example.org".into(), user: Some("alice".into()), port: Some(2222), key: Some("/keys/id".into()) });
        assert_eq!(target(&c, "X", "B").unwrap_err().path, "PLATFORMS.B.HOST");
    }
}
