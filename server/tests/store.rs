//! Store behaviour, identical on SQLite and PostgreSQL.

mod support;

use app::experiment::{Expid, ExperimentKind, ListQuery, NewExperiment, SortKey};
use app::store::{self, StoreError};
use support::{execute_raw, fresh_database, Backend};

fn new(description: &str, kind: ExperimentKind, hpc: Option<&str>) -> NewExperiment {
    NewExperiment::parse(description, Some(kind.as_str()), hpc, None, None).unwrap()
}

async fn ids_follow_autosubmit_per_kind(backend: Backend) {
    let db = fresh_database(backend).await;
    let store = store::connect(&db.url).await.unwrap();
    let mut ids = Vec::new();
    for kind in [
        ExperimentKind::Experiment,
        ExperimentKind::Experiment,
        ExperimentKind::Test,
        ExperimentKind::Operational,
        ExperimentKind::Evaluation,
        ExperimentKind::Test,
    ] {
        ids.push(store.create_experiment(&new("d", kind, None), "ana", "v").await.unwrap().expid);
    }
    assert_eq!(ids, ["a000", "a001", "t000", "o000", "e000", "t001"]);
}

async fn allocation_carries_into_the_next_letter(backend: Backend) {
    let db = fresh_database(backend).await;
    let store = store::connect(&db.url).await.unwrap();
    execute_raw(
        &db,
        "INSERT INTO experiments (expid, description, kind, owner, version, status, created_at, modified_at) \
         VALUES ('azzz', 'imported', 'experiment', 'ana', 'v', 'NOT RUNNING', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .await;
    let created = store.create_experiment(&new("d", ExperimentKind::Experiment, None), "ana", "v").await.unwrap();
    assert_eq!(created.expid, "b000");
}

async fn an_id_taken_by_another_kind_is_skipped(backend: Backend) {
    let db = fresh_database(backend).await;
    let store = store::connect(&db.url).await.unwrap();
    // An imported row whose id looks standard but is filed as a test.
    execute_raw(
        &db,
        "INSERT INTO experiments (expid, description, kind, owner, version, status, created_at, modified_at) \
         VALUES ('a000', 'imported', 'test', 'ana', 'v', 'NOT RUNNING', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .await;
    let created = store.create_experiment(&new("d", ExperimentKind::Experiment, None), "ana", "v").await.unwrap();
    assert_eq!(created.expid, "a001");
    // Its kind's own ids still start at t000.
    let test = store.create_experiment(&new("d", ExperimentKind::Test, None), "ana", "v").await.unwrap();
    assert_eq!(test.expid, "t000");
}

async fn concurrent_creations_never_share_an_id(backend: Backend) {
    let db = fresh_database(backend).await;
    let store = store::connect(&db.url).await.unwrap();
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store.create_experiment(&new(&format!("run {i}"), ExperimentKind::Experiment, None), "ana", "v").await
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap().expid);
    }
    ids.sort();
    let expected: Vec<String> = {
        let mut id = Expid::parse("a000").unwrap();
        let mut all = vec![id.to_string()];
        for _ in 1..40 {
            id = id.successor(ExperimentKind::Experiment).unwrap();
            all.push(id.to_string());
        }
        all
    };
    assert_eq!(ids, expected);
}

async fn search_filters_sort_and_page(backend: Backend) {
    let db = fresh_database(backend).await;
    let store = store::connect(&db.url).await.unwrap();
    let rows = [
        ("Sea ice sensitivity", ExperimentKind::Experiment, Some("MN5"), "ana"),
        ("Atmosphere spin-up", ExperimentKind::Experiment, Some("lumi"), "bob"),
        ("100% coupled_run", ExperimentKind::Test, Some("MN5"), "ana"),
        ("zonal winds", ExperimentKind::Operational, None, "carla"),
    ];
    for (d, k, hpc, owner) in rows {
        store.create_experiment(&new(d, k, hpc), owner, "v").await.unwrap();
    }
    let ids = |page: app::store::RecordPage| page.records.into_iter().map(|r| r.expid).collect::<Vec<_>>();
    let q = |f: fn(&mut ListQuery)| {
        let mut q = ListQuery::default();
        f(&mut q);
        q
    };

    let all = store.list_experiments(&ListQuery::default()).await.unwrap();
    assert_eq!(all.total, 4);
    assert_eq!(ids(all), ["a000", "a001", "o000", "t000"]);
    // Case-insensitive search in description, id and owner; LIKE wildcards are literal.
    assert_eq!(ids(store.list_experiments(&q(|q| q.query = Some("SEA ICE".into()))).await.unwrap()), ["a000"]);
    assert_eq!(ids(store.list_experiments(&q(|q| q.query = Some("t00".into()))).await.unwrap()), ["t000"]);
    assert_eq!(ids(store.list_experiments(&q(|q| q.query = Some("carl".into()))).await.unwrap()), ["o000"]);
    assert_eq!(ids(store.list_experiments(&q(|q| q.query = Some("0%".into()))).await.unwrap()), ["t000"]);
    assert_eq!(ids(store.list_experiments(&q(|q| q.query = Some("0_".into()))).await.unwrap()), Vec::<String>::new());
    // Filters.
    assert_eq!(ids(store.list_experiments(&q(|q| q.owner = Some("ana".into()))).await.unwrap()), ["a000", "t000"]);
    assert_eq!(ids(store.list_experiments(&q(|q| q.hpc = Some("mn5".into()))).await.unwrap()), ["a000", "t000"]);
    assert_eq!(
        ids(store.list_experiments(&q(|q| q.exp_type = Some(ExperimentKind::Operational))).await.unwrap()),
        ["o000"]
    );
    assert_eq!(store.list_experiments(&q(|q| q.only_active = true)).await.unwrap().total, 0);
    execute_raw(&db, "UPDATE experiments SET status = 'RUNNING' WHERE expid = 'a001'").await;
    assert_eq!(ids(store.list_experiments(&q(|q| q.only_active = true)).await.unwrap()), ["a001"]);
    assert_eq!(
        ids(store.list_experiments(&q(|q| { q.query = Some("e".into()); q.owner = Some("ana".into()) })).await.unwrap()),
        ["a000", "t000"]
    );
    assert_eq!(
        ids(store.list_experiments(&q(|q| { q.query = Some("sea".into()); q.owner = Some("bob".into()) })).await.unwrap()),
        Vec::<String>::new()
    );
    // Sorting.
    assert_eq!(
        ids(store.list_experiments(&q(|q| { q.order_by = SortKey::Created; q.order_desc = true })).await.unwrap()),
        ["o000", "t000", "a001", "a000"]
    );
    assert_eq!(
        ids(store.list_experiments(&q(|q| q.order_by = SortKey::Description)).await.unwrap()),
        ["t000", "a001", "a000", "o000"]
    );
    // Paging keeps the total of all pages.
    let page2 = store.list_experiments(&q(|q| { q.page = 2; q.page_size = 3 })).await.unwrap();
    assert_eq!(page2.total, 4);
    assert_eq!(ids(page2), ["t000"]);
    let past_the_end = store.list_experiments(&q(|q| { q.page = 9; q.page_size = 3 })).await.unwrap();
    assert_eq!((past_the_end.records.len(), past_the_end.total), (0, 4));
    let none = store.list_experiments(&q(|q| q.query = Some("no such text".into()))).await.unwrap();
    assert_eq!((none.records.len(), none.total), (0, 0));
}

async fn reads_and_edits_report_missing_experiments(backend: Backend) {
    let db = fresh_database(backend).await;
    let store = store::connect(&db.url).await.unwrap();
    let missing = Expid::parse("zzzz").unwrap();
    assert!(matches!(store.experiment(&missing).await, Err(StoreError::ExperimentNotFound(_))));
    assert!(matches!(store.update_description(&missing, "x").await, Err(StoreError::ExperimentNotFound(_))));
    let created = store.create_experiment(&new("first", ExperimentKind::Experiment, None), "ana", "v").await.unwrap();
    let expid = Expid::parse(&created.expid).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let updated = store.update_description(&expid, "second").await.unwrap();
    assert_eq!(updated.description, "second");
    assert!(updated.modified_at > created.modified_at);
    assert_eq!(updated.created_at, created.created_at);
    assert_eq!(store.experiment(&expid).await.unwrap().description, "second");
}

async fn search_follows_edits(backend: Backend) {
    let db = fresh_database(backend).await;
    let store = store::connect(&db.url).await.unwrap();
    store.create_experiment(&new("Aerosol forcing", ExperimentKind::Experiment, None), "ana", "v").await.unwrap();
    let search = |text: &str| ListQuery { query: Some(text.into()), ..ListQuery::default() };
    assert_eq!(store.list_experiments(&search("rosol FORC")).await.unwrap().total, 1);
    store.update_description(&Expid::parse("a000").unwrap(), "Ocean heat uptake").await.unwrap();
    assert_eq!(store.list_experiments(&search("aerosol")).await.unwrap().total, 0);
    assert_eq!(store.list_experiments(&search("heat up")).await.unwrap().total, 1);
    assert_eq!(store.list_experiments(&search("say \"hi\"")).await.unwrap().total, 0);
}

async fn reopening_keeps_data_and_migrations_are_idempotent(backend: Backend) {
    let db = fresh_database(backend).await;
    let store = store::connect(&db.url).await.unwrap();
    store.create_experiment(&new("kept", ExperimentKind::Experiment, None), "ana", "v").await.unwrap();
    drop(store);
    let reopened = store::connect(&db.url).await.unwrap();
    assert_eq!(reopened.experiment(&Expid::parse("a000").unwrap()).await.unwrap().description, "kept");
}

/// Accounts: names unique, roles and passwords changed in place, the last admin kept, and a
/// password checked without telling which of name or password was wrong.
async fn accounts_are_managed_and_the_last_admin_is_kept(backend: Backend) {
    use app::auth::{ops, password::Password, Role, UserName};
    let db = fresh_database(backend).await;
    let store = store::connect(&db.url).await.unwrap();
    let store = store.as_ref();
    let (alice, bob) = (UserName::parse("Alice").unwrap(), UserName::parse("bob").unwrap());
    let password = || Password::parse("correct horse battery").unwrap();
    let cli = &app::actor::Actor::local("cli:test");
    let created = ops::add_user(store, cli, &alice, Role::Admin, Some(password())).await.unwrap();
    assert_eq!((created.name.as_str(), created.role, created.local_password), ("alice", Role::Admin, true));
    ops::add_user(store, cli, &bob, Role::Viewer, None).await.unwrap();
    let again = ops::add_user(store, cli, &bob, Role::Admin, None).await.unwrap_err();
    assert_eq!(again.to_string(), "User bob already exists.");
    let names: Vec<String> = ops::list_users(store, cli).await.unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["alice", "bob"]);

    assert_eq!(ops::check_password(store, "ALICE", "correct horse battery").await.unwrap().unwrap().name, "alice");
    assert!(ops::check_password(store, "alice", "wrong horse battery").await.unwrap().is_none());
    assert!(ops::check_password(store, "bob", "").await.unwrap().is_none(), "no local password");
    assert!(ops::check_password(store, "nobody", "correct horse battery").await.unwrap().is_none());
    assert!(ops::check_password(store, "not a name!", "x").await.unwrap().is_none());

    let refused = ops::set_role(store, cli, &alice, Role::Operator).await.unwrap_err();
    assert!(refused.to_string().contains("only admin"), "{refused}");
    assert!(ops::remove_user(store, cli, &alice).await.is_err());
    assert_eq!(ops::set_role(store, cli, &bob, Role::Admin).await.unwrap().role, Role::Admin);
    ops::remove_user(store, cli, &alice).await.unwrap();
    assert!(ops::check_password(store, "alice", "correct horse battery").await.unwrap().is_none());
    let bob_now = ops::reset_password(store, cli, &bob, password()).await.unwrap();
    assert!(bob_now.local_password);
    assert!(ops::check_password(store, "bob", "correct horse battery").await.unwrap().is_some());
    let wrong = ops::change_password(store, &app::actor::Actor::user("bob", Role::Admin), "not it", Password::parse("a new password").unwrap()).await.unwrap_err();
    assert_eq!(wrong.to_string(), "current_password: is not your current password");
    ops::change_password(store, &app::actor::Actor::user("bob", Role::Admin), "correct horse battery", Password::parse("a new password").unwrap()).await.unwrap();
    assert!(ops::check_password(store, "bob", "a new password").await.unwrap().is_some());
    let missing = UserName::parse("carol").unwrap();
    assert_eq!(ops::remove_user(store, cli, &missing).await.unwrap_err().to_string(), "User carol not found.");
    assert!(ops::reset_password(store, cli, &missing, password()).await.is_err());
}

/// A repeating run queues its next occurrence when it first starts; resumed after a restart
/// (requeued, claimed again) it queues none, so a series never doubles. A resumed run goes
/// before an interactive one queued meanwhile.
async fn a_series_queues_one_next_occurrence_even_when_resumed(backend: Backend) {
    let db = fresh_database(backend).await;
    let store = store::connect(&db.url).await.unwrap();
    let expid = Expid::parse(&store.create_experiment(&new("d", ExperimentKind::Experiment, None), "ana", "v").await.unwrap().expid).unwrap();
    let now = chrono::Utc::now().timestamp();
    let run = |interactive: bool, not_before: Option<i64>, repeat_seconds: Option<i64>| app::store::NewRun {
        requested_by: "ana".into(),
        mode: "all".into(),
        selection: "[]".into(),
        force_rerun: false,
        options: "{}".into(),
        interactive,
        not_before,
        repeat_seconds,
    };
    let lease = app::store::Lease { owner: "server-a".into(), until: now + 60 };
    let series = store.create_run(&expid, &run(false, Some(now - 30), Some(3600)), false).await.unwrap();
    let experiment_id = series.experiment_id;
    let claimed = store.claim_next_run(experiment_id, &lease).await.unwrap().unwrap();
    assert_eq!(claimed.id, series.id);
    let queued = |runs: Vec<app::store::RunRecord>| runs.into_iter().filter(|r| r.status == "queued").collect::<Vec<_>>();
    let next = queued(store.runs(&expid, 10).await.unwrap());
    assert_eq!(next.len(), 1);
    assert_eq!((next[0].not_before, next[0].repeat_seconds, next[0].interactive), (Some(now - 30 + 3600), Some(3600), false));
    // A restart: the run goes back to the queue; an interactive run is asked for meanwhile.
    store.requeue_run(series.id).await.unwrap();
    let asked = store.create_run(&expid, &run(true, None, None), true).await.unwrap();
    let resumed = store.claim_next_run(experiment_id, &lease).await.unwrap().unwrap();
    assert_eq!(resumed.id, series.id, "the interrupted run carries on first");
    // Leases: renewed by their holder; taken over by another server only once expired, and
    // then by exactly one.
    assert_eq!(store.renew_leases(&lease).await.unwrap(), [series.id]);
    let other = app::store::Lease { owner: "server-b".into(), until: now + 90 };
    assert!(store.take_over_runs(&other, now).await.unwrap().is_empty(), "a live lease is not taken");
    let taken = store.take_over_runs(&other, now + 61).await.unwrap();
    assert_eq!(taken.iter().map(|r| r.id).collect::<Vec<_>>(), [series.id]);
    let third = app::store::Lease { owner: "server-c".into(), until: now + 90 };
    assert!(store.take_over_runs(&third, now + 61).await.unwrap().is_empty(), "taken once");
    assert!(store.renew_leases(&lease).await.unwrap().is_empty(), "the first holder lost it");
    let waiting: Vec<i64> = queued(store.runs(&expid, 10).await.unwrap()).iter().map(|r| r.id).collect();
    assert_eq!(waiting.len(), 2, "the next occurrence and the interactive run, nothing more: {waiting:?}");
    assert!(waiting.contains(&asked.id));
}

on_both_backends!(
    a_series_queues_one_next_occurrence_even_when_resumed,
    accounts_are_managed_and_the_last_admin_is_kept,
    ids_follow_autosubmit_per_kind,
    allocation_carries_into_the_next_letter,
    an_id_taken_by_another_kind_is_skipped,
    concurrent_creations_never_share_an_id,
    search_filters_sort_and_page,
    reads_and_edits_report_missing_experiments,
    search_follows_edits,
    reopening_keeps_data_and_migrations_are_idempotent,
);

#[tokio::test]
async fn unsupported_database_urls_are_refused() {
    assert!(matches!(store::connect("mysql://x").await, Err(StoreError::UnsupportedUrl(_))));
}
