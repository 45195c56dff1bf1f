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
