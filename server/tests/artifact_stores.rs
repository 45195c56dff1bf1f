//! Both artifact stores — the data folder and an S3-compatible object store (a real
//! `moto_server`) — pass the same tests: what goes in comes out, in ranges, listed by folder.

mod support;

use hindcast_server::storage::{read_all, ArtifactKey, ArtifactStore, LocalFolder, ObjectStorage, StorageError, StoredFile};

enum Kind {
    Local,
    S3,
}

/// A store of the kind, empty, and the folder it (or the test) may write in.
async fn fresh_store(kind: Kind) -> (Box<dyn ArtifactStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store: Box<dyn ArtifactStore> = match kind {
        Kind::Local => Box::new(LocalFolder::new(dir.path().join("store"))),
        Kind::S3 => {
            let bucket = support::s3::fresh_bucket().await;
            let store = ObjectStorage::open(&format!("{bucket}/some/prefix"), support::s3::env()).unwrap();
            store.check().await.unwrap();
            Box::new(store)
        }
    };
    (store, dir)
}

macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn local() { super::$name(super::Kind::Local).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn s3() { super::$name(super::Kind::S3).await }
        }
    )*};
}

on_both_stores!(files_come_back_whole_and_in_ranges, folders_list_their_files_at_any_depth, missing_files_read_as_none_and_not_found, large_files_go_in_parts);

fn key(path: &str) -> ArtifactKey {
    ArtifactKey::new(path.split('/')).unwrap()
}

/// A local file with these bytes, opened for a copy.
fn local_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> tokio::fs::File {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    tokio::fs::File::from_std(std::fs::File::open(&path).unwrap())
}

async fn files_come_back_whole_and_in_ranges(kind: Kind) {
    let (store, dir) = fresh_store(kind).await;
    let file = key("experiments/a000/jobs/a000_SIM/run1-attempt1/stdout.log");
    store.put_file(&file, local_file(&dir, "out", b"0123456789")).await.unwrap();
    assert_eq!(store.size(&file).await.unwrap(), Some(10));
    assert_eq!(read_all(store.as_ref(), &file, 0..10).await.unwrap(), b"0123456789");
    assert_eq!(read_all(store.as_ref(), &file, 3..6).await.unwrap(), b"345");
    // Ranges are cut at the end; one past the end reads nothing.
    assert_eq!(read_all(store.as_ref(), &file, 7..100).await.unwrap(), b"789");
    assert_eq!(read_all(store.as_ref(), &file, 10..20).await.unwrap(), b"");
    assert_eq!(read_all(store.as_ref(), &file, 50..60).await.unwrap(), b"");
    assert_eq!(read_all(store.as_ref(), &file, 4..4).await.unwrap(), b"");
    // A second copy replaces the first.
    store.put_file(&file, local_file(&dir, "out2", b"new")).await.unwrap();
    assert_eq!(read_all(store.as_ref(), &file, 0..100).await.unwrap(), b"new");
    // An empty file is a file.
    let empty = key("experiments/a000/jobs/a000_SIM/run1-attempt1/stderr.log");
    store.put_file(&empty, local_file(&dir, "empty", b"")).await.unwrap();
    assert_eq!(store.size(&empty).await.unwrap(), Some(0));
    assert_eq!(read_all(store.as_ref(), &empty, 0..10).await.unwrap(), b"");
}

async fn folders_list_their_files_at_any_depth(kind: Kind) {
    let (store, dir) = fresh_store(kind).await;
    let attempt = key("experiments/a000/jobs/a000_SIM/run1-attempt1");
    for (name, body) in [("outputs/b.nc", "bb"), ("outputs/deep/er/a.nc", "a"), ("outputs/with space %25 é.txt", "xyz"), ("stdout.log", "log")] {
        store.put_file(&attempt.join_relative(name).unwrap(), local_file(&dir, "f", body.as_bytes())).await.unwrap();
    }
    // A neighbour whose name starts the same is not inside the folder.
    store.put_file(&key("experiments/a000/jobs/a000_SIM/run1-attempt10/outputs/x"), local_file(&dir, "g", b"x")).await.unwrap();
    let outputs = store.list(&attempt.child("outputs").unwrap()).await.unwrap();
    let expected = [("b.nc", 2), ("deep/er/a.nc", 1), ("with space %25 é.txt", 3)];
    assert_eq!(outputs, expected.map(|(r, s)| StoredFile { relative: r.into(), size: s }).to_vec());
    assert_eq!(store.list(&attempt).await.unwrap().len(), 4);
    // A name with odd characters reads back by the same key.
    let odd = attempt.join_relative("outputs/with space %25 é.txt").unwrap();
    assert_eq!(read_all(store.as_ref(), &odd, 0..10).await.unwrap(), b"xyz");
    assert!(store.list(&key("experiments/a999")).await.unwrap().is_empty());
}

async fn missing_files_read_as_none_and_not_found(kind: Kind) {
    let (store, _dir) = fresh_store(kind).await;
    let missing = key("experiments/a000/runs/7.log");
    assert_eq!(store.size(&missing).await.unwrap(), None);
    assert!(matches!(store.read(&missing, 0..10).await, Err(StorageError::NotFound(_))));
    assert!(matches!(store.read(&missing, 0..0).await, Err(StorageError::NotFound(_))));
}

async fn large_files_go_in_parts(kind: Kind) {
    let (store, dir) = fresh_store(kind).await;
    // 20 MiB: more than two of the S3 upload's 8 MiB parts.
    let body: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let file = key("experiments/a000/jobs/a000_SIM/run1-attempt1/outputs/big.bin");
    store.put_file(&file, local_file(&dir, "big", &body)).await.unwrap();
    assert_eq!(store.size(&file).await.unwrap(), Some(body.len() as u64));
    let at = 17 * 1024 * 1024 + 5;
    assert_eq!(read_all(store.as_ref(), &file, at..at + 1000).await.unwrap(), &body[at as usize..at as usize + 1000]);
    // Whole, across the 8 MiB boundaries of both the upload's parts and the reads' ranges.
    assert!(read_all(store.as_ref(), &file, 0..u64::MAX).await.unwrap() == body, "the file came back changed");
}

#[test]
fn keys_name_nothing_outside_their_store() {
    assert!(ArtifactKey::new(["experiments", "a000"]).is_some());
    assert!(ArtifactKey::new(["back\\slash"]).is_some(), "a backslash is a plain character");
    for bad in [vec![""], vec!["a", ".."], vec!["."], vec!["a/b"], vec!["nul\0"], vec![]] {
        assert!(ArtifactKey::new(bad.clone()).is_none(), "{bad:?}");
    }
    let base = key("experiments/a000");
    for bad in ["../x", "/etc/passwd", "a//b", "a/./b", "", "a/"] {
        assert!(base.join_relative(bad).is_none(), "{bad}");
    }
    assert_eq!(base.join_relative("x/y.nc").unwrap().to_string(), "experiments/a000/x/y.nc");
}

#[tokio::test]
async fn the_local_folder_neither_lists_nor_follows_links() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    std::fs::create_dir_all(root.join("job/outputs")).unwrap();
    std::fs::write(dir.path().join("secret"), "s").unwrap();
    std::fs::write(root.join("job/outputs/a.nc"), "a").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret"), root.join("job/outputs/link")).unwrap();
    std::os::unix::fs::symlink(dir.path(), root.join("job/outputs/up")).unwrap();
    let store = LocalFolder::new(root);
    let listed = store.list(&key("job/outputs")).await.unwrap();
    assert_eq!(listed, vec![StoredFile { relative: "a.nc".into(), size: 1 }]);
    for linked in ["job/outputs/link", "job/outputs/up/secret"] {
        assert_eq!(store.size(&key(linked)).await.unwrap(), None, "{linked}");
        assert!(store.read(&key(linked), 0..1).await.is_err(), "{linked}");
    }
}

#[tokio::test]
async fn files_are_opened_for_a_copy_only_through_no_link() {
    use hindcast_server::storage::local::open_inside;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    std::fs::create_dir_all(root.join("job/outputs")).unwrap();
    std::fs::write(root.join("job/outputs/a.nc"), "a").unwrap();
    std::fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
    std::fs::write(dir.path().join("elsewhere/secret"), "s").unwrap();
    std::os::unix::fs::symlink(dir.path().join("elsewhere/secret"), root.join("job/outputs/link")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("elsewhere"), root.join("job/swapped")).unwrap();
    assert!(open_inside(&root, &key("job/outputs/a.nc")).is_ok());
    // A link as the file, or as a folder on the way (a folder swapped after the listing).
    for linked in ["job/outputs/link", "job/swapped/secret", "job/outputs"] {
        assert!(open_inside(&root, &key(linked)).is_err(), "{linked}");
    }
}

#[test]
fn bad_store_addresses_are_refused_with_the_reason() {
    for (url, says) in [("http://x/y", "not an s3://"), ("s3://", "names no bucket"), ("s3://b/../x", ". or ..")] {
        let err = ObjectStorage::open(url, Vec::new()).err().unwrap();
        assert!(err.contains(says), "{url}: {err}");
    }
}

#[tokio::test]
async fn an_unreachable_store_is_told_at_the_check() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut env = support::s3::env();
    env.retain(|(k, _)| k != "AWS_ENDPOINT_URL");
    env.push(("AWS_ENDPOINT_URL".into(), format!("http://127.0.0.1:{port}")));
    let store = ObjectStorage::open("s3://nowhere", env).unwrap();
    let err = store.check().await.unwrap_err();
    assert!(err.contains("cannot be reached"), "{err}");
}
