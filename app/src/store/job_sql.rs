//! SQL of the workflow tables, shared by both backends (both accept `$n` placeholders);
//! where they differ, a function takes the dialect.

use super::sql::Dialect;
use crate::workflow::JobStatus;

pub const EXPERIMENT_ID: &str = "SELECT id FROM experiments WHERE expid = $1";

pub const GRAPH_STATE: &str = "SELECT id, graph_version, generated_at FROM experiments WHERE expid = $1";

pub const CONFIG_FILES: &str =
    "SELECT name, content, modified_at FROM experiment_config_files WHERE experiment_id = $1 ORDER BY name";

pub const DELETE_CONFIG_FILES: &str = "DELETE FROM experiment_config_files WHERE experiment_id = $1";

pub const INSERT_CONFIG_FILE: &str =
    "INSERT INTO experiment_config_files (experiment_id, name, content, modified_at) VALUES ($1, $2, $3, $4)";

pub const UPSERT_CONFIG_FILE: &str = "INSERT INTO experiment_config_files (experiment_id, name, content, modified_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (experiment_id, name) DO UPDATE SET content = excluded.content, \
     modified_at = excluded.modified_at";

pub const DELETE_CONFIG_FILE: &str = "DELETE FROM experiment_config_files WHERE experiment_id = $1 AND name = $2";

/// Counts a new graph and returns the experiment's id and new version, unless it is running.
pub const BUMP_GRAPH_VERSION: &str = "UPDATE experiments SET graph_version = graph_version + 1, generated_at = $1 \
     WHERE expid = $2 AND status <> 'RUNNING' RETURNING id, graph_version";

/// Statuses that carry history (not the WAITING/READY a new graph derives) survive regeneration.
pub const HISTORIC_STATES: &str =
    "SELECT number, status FROM job_states WHERE experiment_id = $1 AND status NOT IN (0, 1)";

pub const GRAPH_BODY: &str = "SELECT graph_version, body FROM job_graphs WHERE experiment_id = $1";

pub const DELETE_STATES: &str = "DELETE FROM job_states WHERE experiment_id = $1";
pub const DELETE_GRAPH: &str = "DELETE FROM job_graphs WHERE experiment_id = $1";

pub const INSERT_GRAPH: &str =
    "INSERT INTO job_graphs (experiment_id, graph_version, jobs, edges, body) VALUES ($1, $2, $3, $4, $5)";

pub const STATUS_COUNTS: &str =
    "SELECT status, COUNT(*) AS count FROM job_states WHERE experiment_id = $1 GROUP BY status ORDER BY status";

/// Jobs per status in each group of job-number ranges: rows of (group, status, count) with a
/// count above zero. Each (range, status) pair is counted on the status index, never by
/// reading the table; the ranges are written into the statement (they are integers).
pub fn status_counts_in_ranges(groups: &[Vec<(u32, u32)>]) -> String {
    let ranges: Vec<String> = groups
        .iter()
        .enumerate()
        .flat_map(|(group, ranges)| ranges.iter().map(move |(first, last)| format!("({group}, {first}, {last})")))
        .collect();
    if ranges.is_empty() {
        return "SELECT CAST(0 AS BIGINT) AS grp, 0 AS status, CAST(0 AS BIGINT) AS count WHERE 1 = 0".to_owned();
    }
    let codes: Vec<String> = JobStatus::ALL.iter().map(|s| format!("({})", s.code())).collect();
    format!(
        "WITH r(g, lo, hi) AS (VALUES {}), st(s) AS (VALUES {}) \
         SELECT grp, status, CAST(SUM(n) AS BIGINT) AS count FROM (SELECT CAST(r.g AS BIGINT) AS grp, st.s AS status, \
         (SELECT COUNT(*) FROM job_states j WHERE j.experiment_id = $1 AND j.status = st.s \
         AND j.number BETWEEN r.lo AND r.hi) AS n FROM r, st) AS c WHERE n > 0 GROUP BY grp, status",
        ranges.join(", "),
        codes.join(", ")
    )
}

const STATE_COLUMNS: &str = "number, status, submitted_at, started_at, finished_at";

pub fn all_states() -> String {
    format!("SELECT {STATE_COLUMNS} FROM job_states WHERE experiment_id = $1 ORDER BY number")
}

/// The states of the given jobs; the numbers are written into the statement (they are
/// integers) so the planner looks each up by primary key.
pub fn states_of(numbers: &[u32]) -> String {
    let list: Vec<String> = numbers.iter().map(u32::to_string).collect();
    format!(
        "SELECT {STATE_COLUMNS} FROM job_states WHERE experiment_id = $1 AND number IN ({}) ORDER BY number",
        list.join(", ")
    )
}

/// The numbers of the jobs in one of the given statuses. The codes are written into the
/// statement (they are integers from a closed enum) so the planner can use the status index.
pub fn numbers_with_status(codes: &[i32]) -> String {
    let list: Vec<String> = codes.iter().map(i32::to_string).collect();
    format!("SELECT number FROM job_states WHERE experiment_id = $1 AND status IN ({}) ORDER BY number", list.join(", "))
}

/// One state row per element of the JSON array `$2` of status codes, numbered from zero.
pub fn insert_states(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "INSERT INTO job_states (experiment_id, number, status) SELECT $1, r.key, r.value FROM json_each($2) AS r"
        }
        Dialect::Postgres => {
            "INSERT INTO job_states (experiment_id, number, status) \
             SELECT $1, CAST(r.ordinality - 1 AS INTEGER), CAST(r.value AS INTEGER) \
             FROM jsonb_array_elements_text($2::jsonb) WITH ORDINALITY AS r(value, ordinality)"
        }
    }
}

/// Every job's status in number order as one comma-separated text: a single row instead of
/// 100k, which is most of the cost of reading them.
pub fn status_codes_text(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "SELECT COALESCE(group_concat(status, ',' ORDER BY number), '') FROM job_states WHERE experiment_id = $1"
        }
        Dialect::Postgres => {
            "SELECT COALESCE(string_agg(status::text, ',' ORDER BY number), '') FROM job_states WHERE experiment_id = $1"
        }
    }
}

pub const GRAPH_VERSION_OF: &str = "SELECT graph_version FROM experiments WHERE id = $1";

/// Moves the listed jobs from one status to another; jobs no longer in `from` are left alone
/// (the caller compares the count). Integers from a closed set are written into the statement.
pub fn change_status(numbers: &[u32], from: i32, to: i32) -> String {
    let list: Vec<String> = numbers.iter().map(u32::to_string).collect();
    format!(
        "UPDATE job_states SET status = {to} WHERE experiment_id = $1 AND status = {from} AND number IN ({})",
        list.join(", ")
    )
}
