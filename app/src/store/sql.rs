//! SQL shared by both backends (both accept `$n` placeholders), and the catalogue query
//! builder. Column lists are explicit so a schema change never silently changes a result.

use crate::experiment::{ListQuery, SortKey};

pub const COLUMNS: &str = "id, expid, description, kind, owner, hpc, model, branch, version, \
     status, created_at, modified_at";

pub fn select_one() -> String {
    format!("SELECT {COLUMNS} FROM experiments WHERE expid = $1")
}

pub fn insert() -> String {
    format!(
        "INSERT INTO experiments (expid, description, kind, owner, hpc, model, branch, version, \
         status, created_at, modified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
         RETURNING {COLUMNS}"
    )
}

pub fn update_description() -> String {
    format!(
        "UPDATE experiments SET description = $1, modified_at = $2 WHERE expid = $3 \
         RETURNING {COLUMNS}"
    )
}

/// The highest id of a kind: longer ids are higher, then base-36 order, which for lowercase
/// letters and digits is the byte order.
pub const HIGHEST_ID_OF_KIND: &str =
    "SELECT expid FROM experiments WHERE kind = $1 ORDER BY length(expid) DESC, expid DESC LIMIT 1";

/// The page query and the count query of a catalogue search, sharing one WHERE clause.
#[derive(Debug, Clone, PartialEq)]
pub struct ListSql {
    /// The page's rows, each with a `total` column counting the matches on all pages.
    pub page: String,
    /// The count alone, for a page past the last one (which has no row to carry it).
    pub count: String,
    /// Text bound to the WHERE clause's placeholders, in order (used by both queries).
    pub filter_binds: Vec<String>,
    /// LIMIT and OFFSET, bound after the filter binds in the page query only.
    pub limit: i64,
    pub offset: i64,
}

/// Where the SQL of the two backends differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// The trigram index cannot look up fewer than three characters.
const TRIGRAM: usize = 3;

impl ListSql {
    pub fn build(q: &ListQuery, dialect: Dialect) -> Self {
        let mut conditions: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        // The ids a trigram-index search finds, when the search uses the index.
        let mut indexed_search: Option<String> = None;
        let next = |value: String, binds: &mut Vec<String>| {
            binds.push(value);
            format!("${}", binds.len())
        };
        if let Some(text) = &q.query {
            if dialect == Dialect::Sqlite && text.chars().count() >= TRIGRAM {
                // A quoted FTS5 string is matched as a case-insensitive substring.
                let p = next(format!("\"{}\"", text.replace('"', "\"\"")), &mut binds);
                indexed_search = Some(format!(
                    "SELECT rowid AS id FROM experiments_search WHERE experiments_search MATCH {p}"
                ));
            } else {
                let p = next(format!("%{}%", escape_like(&text.to_lowercase())), &mut binds);
                conditions.push(format!(
                    "(expid LIKE {p} ESCAPE '\\' OR lower(description) LIKE {p} ESCAPE '\\' \
                     OR lower(owner) LIKE {p} ESCAPE '\\')"
                ));
            }
        }
        if q.only_active {
            conditions.push("status = 'RUNNING'".to_owned());
        }
        if let Some(owner) = &q.owner {
            let p = next(owner.clone(), &mut binds);
            conditions.push(format!("owner = {p}"));
        }
        if let Some(kind) = q.exp_type {
            let p = next(kind.as_str().to_owned(), &mut binds);
            conditions.push(format!("kind = {p}"));
        }
        if let Some(hpc) = &q.hpc {
            let p = next(hpc.to_lowercase(), &mut binds);
            conditions.push(format!("lower(hpc) = {p}"));
        }
        // Only a search: its ids are the matches. Otherwise the search narrows the filter.
        let matching_ids = match (&indexed_search, conditions.is_empty()) {
            (Some(search), true) => Some(search.clone()),
            (search, _) => {
                if let Some(search) = search {
                    conditions.insert(0, format!("id IN ({search})"));
                }
                (!conditions.is_empty())
                    .then(|| format!("SELECT id FROM experiments WHERE {}", conditions.join(" AND ")))
            }
        };
        let direction = if q.order_desc { "DESC" } else { "ASC" };
        // Ids grow with creation time, so "created" sorts by id: exact and indexed.
        let order = match q.order_by {
            SortKey::Expid => format!("expid {direction}"),
            SortKey::Created => format!("id {direction}"),
            SortKey::Description => format!("lower(description) {direction}, expid {direction}"),
        };
        let (limit, offset) = (binds.len() + 1, binds.len() + 2);
        // One statement answers the page and the total: the matching ids are found once (a
        // search is the expensive part) and counted alongside the page.
        let (page, count) = match &matching_ids {
            None => (
                format!(
                    "SELECT {COLUMNS}, (SELECT COUNT(*) FROM experiments) AS total FROM experiments \
                     ORDER BY {order} LIMIT ${limit} OFFSET ${offset}"
                ),
                "SELECT COUNT(*) FROM experiments".to_owned(),
            ),
            Some(ids) => (
                format!(
                    "WITH matching AS MATERIALIZED ({ids}) \
                     SELECT {COLUMNS}, (SELECT COUNT(*) FROM matching) AS total FROM experiments \
                     WHERE id IN (SELECT id FROM matching) ORDER BY {order} LIMIT ${limit} OFFSET ${offset}"
                ),
                format!("SELECT COUNT(*) FROM ({ids}) AS matching"),
            ),
        };
        Self {
            page,
            count,
            filter_binds: binds,
            limit: i64::from(q.page_size),
            offset: i64::try_from(q.offset()).unwrap_or(i64::MAX),
        }
    }
}

/// Makes `%`, `_` and `\` in user text match literally inside a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::ExperimentKind;

    #[test]
    fn empty_query_has_no_filter() {
        let sql = ListSql::build(&ListQuery::default(), Dialect::Sqlite);
        assert!(!sql.page.contains("WHERE"));
        assert!(sql.page.ends_with("ORDER BY expid ASC LIMIT $1 OFFSET $2"));
        assert!(sql.page.contains("(SELECT COUNT(*) FROM experiments) AS total"));
        assert_eq!((sql.limit, sql.offset), (12, 0));
    }

    #[test]
    fn filters_number_their_placeholders_in_order() {
        let q = ListQuery {
            query: Some("50%_Ice".into()),
            owner: Some("ana".into()),
            exp_type: Some(ExperimentKind::Test),
            only_active: true,
            order_by: SortKey::Created,
            order_desc: true,
            page: 2,
            ..ListQuery::default()
        };
        let sql = ListSql::build(&q, Dialect::Postgres);
        assert_eq!(
            sql.filter_binds,
            vec!["%50\\%\\_ice%", "ana", "test"]
        );
        assert!(sql.page.contains("owner = $2 AND kind = $3"));
        assert!(sql.page.contains("status = 'RUNNING'"));
        assert!(sql.page.ends_with("ORDER BY id DESC LIMIT $4 OFFSET $5"));
        assert_eq!(sql.offset, 12);
    }

    #[test]
    fn sqlite_searches_three_characters_or_more_through_the_trigram_index() {
        let q = |text: &str| ListQuery { query: Some(text.into()), ..ListQuery::default() };
        let sql = ListSql::build(&q("say \"ice\""), Dialect::Sqlite);
        assert!(sql.page.contains("experiments_search MATCH $1"));
        assert_eq!(sql.filter_binds, vec!["\"say \"\"ice\"\"\""]);
        let short = ListSql::build(&q("a0"), Dialect::Sqlite);
        assert!(short.page.contains("LIKE $1"));
    }
}
