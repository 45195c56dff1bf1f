//! SQL of the workflow tables shared by both backends (both accept `$n` placeholders), and the
//! job-list query builder.

use super::sql::Dialect;
use crate::workflow::{JobQuery, JobSortKey};

pub const JOB_COLUMNS: &str = "number, name, section, date, member, chunk, split, splits, status, running, \
     platform, priority, retrials, wallclock, processors, submitted_at, started_at, finished_at";

pub const EXPERIMENT_ID: &str = "SELECT id FROM experiments WHERE expid = $1";

pub const CONFIG_FILES: &str =
    "SELECT name, content, modified_at FROM experiment_config_files WHERE experiment_id = $1 ORDER BY name";

pub const DELETE_CONFIG_FILES: &str = "DELETE FROM experiment_config_files WHERE experiment_id = $1";

pub const INSERT_CONFIG_FILE: &str =
    "INSERT INTO experiment_config_files (experiment_id, name, content, modified_at) VALUES ($1, $2, $3, $4)";

/// Counts the new graph and returns the experiment's id and new version, unless it is running.
pub const BUMP_GRAPH_VERSION: &str = "UPDATE experiments SET graph_version = graph_version + 1, generated_at = $1 \
     WHERE expid = $2 AND status <> 'RUNNING' RETURNING id, graph_version";

/// Statuses that carry history (not the WAITING/READY a new graph derives) survive regeneration.
pub const COLLECT_KEPT_STATUSES: &str =
    "INSERT INTO kept_statuses (name, status) SELECT name, status FROM jobs WHERE experiment_id = $1 AND status NOT IN (0, 1)";

pub const DELETE_EDGES: &str = "DELETE FROM job_edges WHERE experiment_id = $1";
pub const DELETE_JOBS: &str = "DELETE FROM jobs WHERE experiment_id = $1";

pub const COUNT_KEPT: &str =
    "SELECT COUNT(*) FROM jobs j JOIN kept_statuses k ON k.name = j.name WHERE j.experiment_id = $1";

pub const STATUS_COUNTS: &str =
    "SELECT status, COUNT(*) AS count FROM jobs WHERE experiment_id = $1 GROUP BY status ORDER BY status";

pub const GRAPH_STATE: &str = "SELECT id, graph_version, generated_at FROM experiments WHERE expid = $1";

pub fn job_by_name() -> String {
    format!("SELECT {JOB_COLUMNS} FROM jobs WHERE experiment_id = $1 AND name = $2")
}

/// Parents (`parent` side) or children of the job named `$2`, by name.
pub fn linked_jobs(parents: bool) -> String {
    let (mine, theirs) = if parents { ("child", "parent") } else { ("parent", "child") };
    format!(
        "SELECT o.name, o.status FROM jobs j \
         JOIN job_edges e ON e.experiment_id = j.experiment_id AND e.{mine} = j.number \
         JOIN jobs o ON o.experiment_id = e.experiment_id AND o.number = e.{theirs} \
         WHERE j.experiment_id = $1 AND j.name = $2 ORDER BY o.number"
    )
}

/// Inserts every job of a graph from one JSON array of rows, keeping recorded statuses.
pub fn insert_jobs(dialect: Dialect) -> String {
    let (rows, field, index) = match dialect {
        Dialect::Sqlite => ("json_each($2) AS r", "r.value ->> ", "r.key"),
        Dialect::Postgres => ("jsonb_array_elements($2::jsonb) WITH ORDINALITY AS r(value, ordinality)", "r.value ->> ", "(r.ordinality - 1)"),
    };
    let f = |i: usize| format!("{field}{i}");
    let (int, big) = match dialect {
        Dialect::Sqlite => ("INTEGER", "INTEGER"),
        Dialect::Postgres => ("INTEGER", "BIGINT"),
    };
    format!(
        "INSERT INTO jobs (experiment_id, number, name, section, date, member, chunk, split, splits, status, \
         running, platform, priority, retrials, wallclock, processors) \
         SELECT $1, {index}, {name}, {section}, {date}, {member}, CAST({chunk} AS {big}), CAST({split} AS {big}), \
         CAST({splits} AS {big}), COALESCE(k.status, CAST({status} AS {int})), {running}, {platform}, \
         CAST({priority} AS {big}), CAST({retrials} AS {big}), {wallclock}, {processors} \
         FROM {rows} LEFT JOIN kept_statuses k ON k.name = {name}",
        name = f(0),
        section = f(1),
        date = f(2),
        member = f(3),
        chunk = f(4),
        split = f(5),
        splits = f(6),
        status = f(7),
        running = f(8),
        platform = f(9),
        priority = f(10),
        retrials = f(11),
        wallclock = f(12),
        processors = f(13),
    )
}

/// Inserts every edge of a graph from one JSON array of `[parent, child]` job numbers.
pub fn insert_edges(dialect: Dialect) -> String {
    match dialect {
        Dialect::Sqlite => "INSERT INTO job_edges (experiment_id, parent, child) \
             SELECT $1, r.value ->> 0, r.value ->> 1 FROM json_each($2) AS r"
            .to_owned(),
        Dialect::Postgres => "INSERT INTO job_edges (experiment_id, parent, child) \
             SELECT $1, CAST(r.value ->> 0 AS INTEGER), CAST(r.value ->> 1 AS INTEGER) \
             FROM jsonb_array_elements($2::jsonb) AS r(value)"
            .to_owned(),
    }
}

/// A job-list page and its count, sharing one WHERE clause.
#[derive(Debug, Clone, PartialEq)]
pub struct JobListSql {
    pub page: String,
    pub count: String,
    /// Bound after `$1` (the experiment id), in order.
    pub binds: Vec<Bind>,
    /// LIMIT and OFFSET placeholders' values, bound last in the page query only.
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    Int(i64),
}

impl JobListSql {
    pub fn build(q: &JobQuery, dialect: Dialect) -> Self {
        let mut conditions = vec!["experiment_id = $1".to_owned()];
        let mut binds: Vec<Bind> = Vec::new();
        let mut next = |bind: Bind| {
            binds.push(bind);
            format!("${}", binds.len() + 1)
        };
        if let Some(name) = &q.name {
            let like = if dialect == Dialect::Postgres { "ILIKE" } else { "LIKE" };
            let not = if name.negated() { "NOT " } else { "" };
            let p = next(Bind::Text(name.like_pattern()));
            conditions.push(format!("name {not}{like} {p} ESCAPE '\\'"));
        }
        if !q.statuses.is_empty() {
            let list: Vec<String> = q.statuses.iter().map(|s| s.code().to_string()).collect();
            // Codes are numbers from a closed enum: safe to write into the statement.
            conditions.push(format!("status IN ({})", list.join(", ")));
        }
        for (column, value) in [("section", &q.section), ("date", &q.date), ("member", &q.member)] {
            if let Some(value) = value {
                let p = next(Bind::Text(value.clone()));
                conditions.push(format!("{column} = {p}"));
            }
        }
        if let Some(chunk) = q.chunk {
            let p = next(Bind::Int(chunk));
            conditions.push(format!("chunk = {p}"));
        }
        let direction = if q.order_desc { "DESC" } else { "ASC" };
        // Jobs are numbered in name order, so `number` sorts by name through the primary key.
        let order = match q.order_by {
            JobSortKey::Name => format!("number {direction}"),
            other => format!("{} {direction}, number {direction}", other.as_str()),
        };
        let where_clause = conditions.join(" AND ");
        let (limit, offset) = (binds.len() + 2, binds.len() + 3);
        Self {
            page: format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE {where_clause} ORDER BY {order} LIMIT ${limit} OFFSET ${offset}"
            ),
            count: format!("SELECT COUNT(*) FROM jobs WHERE {where_clause}"),
            binds,
            limit: q.page_size.map_or(i64::MAX, i64::from),
            offset: i64::try_from(q.offset()).unwrap_or(i64::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::{JobParams, JobStatus};

    #[test]
    fn filters_become_placeholders_and_status_codes() {
        let q = JobQuery::parse(&JobParams {
            job_name: Some("!*_SIM".into()),
            status: Some("FAILED,READY".into()),
            chunk: Some("2".into()),
            page_size: Some("10".into()),
            ..Default::default()
        })
        .unwrap();
        let sql = JobListSql::build(&q, Dialect::Postgres);
        assert!(sql.page.contains("name NOT ILIKE $2"), "{}", sql.page);
        assert!(sql.page.contains(&format!("status IN ({}, {})", JobStatus::Failed.code(), JobStatus::Ready.code())));
        assert!(sql.page.contains("chunk = $3") && sql.page.ends_with("LIMIT $4 OFFSET $5"), "{}", sql.page);
        assert_eq!(sql.binds, vec![Bind::Text("%\\_SIM".into()), Bind::Int(2)]);
        assert_eq!((sql.limit, sql.offset), (10, 0));
    }
}
