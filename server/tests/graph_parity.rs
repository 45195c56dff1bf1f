//! `hindcast graph` against graphs real Autosubmit 4.1.17.1 generated (`autosubmit create`):
//! the same job names, the same job fields and the same parent → child edges.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn case_dir(case: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/autosubmit-cases").join(case)
}

fn run_graph(case: &str, expid: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_hindcast"))
        .args(["graph", "--config"])
        .arg(case_dir(case))
        .args(["--expid", expid])
        .output()
        .unwrap();
    assert!(out.status.success(), "{case}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

const FIELDS: [&str; 12] =
    ["name", "section", "date", "member", "chunk", "split", "splits", "status", "running", "platform", "priority", "retrials"];

fn assert_parity(case: &str) {
    let plain = case_dir(case).join("expected_graph.json");
    let expected: Value = if plain.exists() {
        serde_json::from_str(&std::fs::read_to_string(plain).unwrap()).unwrap()
    } else {
        let gz = std::fs::File::open(case_dir(case).join("expected_graph.json.gz")).unwrap();
        serde_json::from_reader(flate2::read::GzDecoder::new(gz)).unwrap()
    };
    let expid = expected["expid"].as_str().unwrap();
    let actual = run_graph(case, expid);
    let names = |graph: &Value| -> Vec<String> {
        graph["jobs"].as_array().unwrap().iter().map(|j| j["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(names(&actual), names(&expected), "{case}: job names");
    for (mine, theirs) in actual["jobs"].as_array().unwrap().iter().zip(expected["jobs"].as_array().unwrap()) {
        for field in FIELDS {
            assert_eq!(mine[field], theirs[field], "{case}: {} field {field}", theirs["name"]);
        }
    }
    assert_eq!(actual["edges"], expected["edges"], "{case}: edges");
    let conditions = actual.get("conditions").cloned().unwrap_or_else(|| serde_json::json!([]));
    assert_eq!(conditions, expected["edge_info"], "{case}: edge conditions");
}

#[test]
fn tiny() {
    assert_parity("tiny");
}

#[test]
fn classic() {
    assert_parity("classic");
}

#[test]
fn once_dag() {
    assert_parity("once_dag");
}

/// 10 dates × 10 members × 50 chunks: 20,202 jobs, 25,101 edges.
#[test]
fn large() {
    assert_parity("large");
}

/// SPLITS chains, 1→N, N→1 and explicit SPLITS_FROM.
#[test]
fn splits() {
    assert_parity("splits");
}

/// FREQUENCY and SYNCHRONIZE (member and date).
#[test]
fn freq_sync() {
    assert_parity("freq_sync");
}

/// DELAY, legacy SELECT_CHUNKS (ignored) and CHUNKS_FROM/CHUNKS_TO.
#[test]
fn delay_select() {
    assert_parity("delay_select");
}

/// `CHUNKS_TO: "[3:6:3]"` outside any *_FROM: Autosubmit itself fails on it
/// (`create_error_rejected.txt`), so Hindcast refuses it naming the key.
#[test]
fn what_autosubmit_refused_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(case_dir("delay_select")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".yml") && name != "jobs.yml" {
            std::fs::copy(&path, dir.path().join(&name)).unwrap();
        }
    }
    std::fs::copy(case_dir("delay_select").join("jobs.yml.rejected"), dir.path().join("jobs.yml")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hindcast"))
        .args(["graph", "--config"])
        .arg(dir.path())
        .args(["--expid", "a005"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("JOBS.SUMMARY.DEPENDENCIES.POST.CHUNKS_TO"), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// Cases whose expected graphs come from Autosubmit 4.1.17.1's own `DicJobs`/`JobList` code
/// run without a database (`oracle/<case>/expected_oracle.json`: jobs as
/// `[name, section, date, member, chunk, split, splits]`, edges as `[parent, child]`, and
/// `edge_info` as `[parent, child, STATUS]` for the edges whose dependency names a STATUS).
fn assert_oracle_parity(case: &str) {
    let dir = format!("oracle/{case}");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(case_dir(&dir).join("expected_oracle.json")).unwrap()).unwrap();
    let first = expected["jobs"][0][0].as_str().unwrap();
    let expid = first.split('_').next().unwrap();
    let actual = run_graph(&dir, expid);
    let mine: Vec<Value> = actual["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| serde_json::json!([j["name"], j["section"], j["date"], j["member"], j["chunk"], j["split"], j["splits"]]))
        .collect();
    assert_eq!(Value::Array(mine), expected["jobs"], "{case}: jobs");
    assert_eq!(actual["edges"], expected["edges"], "{case}: edges");
}

/// A filtered lookup selecting two branches grafts them into Autosubmit's job index, so a
/// later plain `POST: SIM` gets the chunk-1 SIM of every date and member (SPEC §3.3).
#[test]
fn oracle_alias() {
    assert_oracle_parity("alias");
}

/// STATUS conditions add no edges, but make a relationship non-empty; the edges they mark
/// are Autosubmit's `edge_info`.
#[test]
fn oracle_status() {
    assert_oracle_parity("status");
}

/// STATUS nested under DATES_FROM and SPLITS_FROM, lower case, with `?`, on a once-job.
#[test]
fn oracle_status_nested() {
    assert_oracle_parity("status_nested");
}

/// `±N` offsets along chunks, members and dates.
#[test]
fn oracle_offsets() {
    assert_oracle_parity("offsets");
}

#[test]
fn a_bad_configuration_is_refused_with_its_key_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("jobs.yml"), "JOBS:\n  SIM:\n    RUNNING: weekly\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hindcast"))
        .args(["graph", "--config"])
        .arg(dir.path())
        .args(["--expid", "a000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("JOBS.SIM.RUNNING"));
    assert!(out.stdout.is_empty());
}
