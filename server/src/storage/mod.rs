//! Where job artifacts (scripts, logs, outputs, temp files, run logs) are read from: one
//! narrow trait with two backends — the data folder the jobs write into, and an
//! S3-compatible object store that finished attempts are copied to, so servers that do not
//! share the data folder still serve them. Keys use the data folder's layout (`paths`).

pub mod local;
pub mod s3;
pub mod zip;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use std::ops::Range;
use std::sync::Arc;

pub use local::LocalFolder;
pub use s3::ObjectStorage;

/// A file's or folder's place in a store: plain path parts, none empty, `.` or `..`, none
/// with a `/` or NUL — so no key names anything outside its store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArtifactKey(Vec<String>);

impl ArtifactKey {
    /// A key from parts; `None` when a part is not plain.
    pub fn new<S: Into<String>>(parts: impl IntoIterator<Item = S>) -> Option<Self> {
        let parts: Vec<String> = parts.into_iter().map(Into::into).collect();
        let plain = |p: &String| !p.is_empty() && p != "." && p != ".." && !p.contains(['/', '\0']);
        (!parts.is_empty() && parts.iter().all(plain)).then_some(Self(parts))
    }

    /// A key under this one, from a relative path as a client sends it (`a/b.nc`); `None`
    /// when the path is absolute or any part is not plain.
    pub fn join_relative(&self, relative: &str) -> Option<Self> {
        let mut parts = self.0.clone();
        for part in relative.split('/') {
            parts.push(part.to_owned());
        }
        Self::new(parts)
    }

    /// A key under this one by one plain name.
    pub fn child(&self, name: &str) -> Option<Self> {
        let mut parts = self.0.clone();
        parts.push(name.to_owned());
        Self::new(parts)
    }

    pub fn parts(&self) -> &[String] {
        &self.0
    }
}

impl std::fmt::Display for ArtifactKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("/"))
    }
}

/// A regular file under a listed folder: its path relative to the folder, and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub relative: String,
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no file {0}")]
    NotFound(String),
    #[error("the artifact store failed: {0}")]
    Backend(String),
}

impl StorageError {
    pub fn backend(err: impl std::fmt::Display) -> Self {
        Self::Backend(err.to_string())
    }
}

pub type ByteStream = BoxStream<'static, std::io::Result<Bytes>>;

#[async_trait]
pub trait ArtifactStore: Send + Sync + 'static {
    /// For logs and messages: where the store is.
    fn describe(&self) -> String;

    /// Every regular file under `folder` (at any depth; links are not files), sorted by
    /// relative path. A missing folder has none.
    async fn list(&self, folder: &ArtifactKey) -> Result<Vec<StoredFile>, StorageError>;

    /// A regular file's size, or `None` when there is none.
    async fn size(&self, file: &ArtifactKey) -> Result<Option<u64>, StorageError>;

    /// The bytes of `range` (cut at the file's end), streamed.
    async fn read(&self, file: &ArtifactKey, range: Range<u64>) -> Result<ByteStream, StorageError>;

    /// Copies an opened local file in, replacing what the key held; large files go in parts.
    /// (Opened by the caller, which checks it is the regular file it means: see
    /// `local::open_inside`.)
    async fn put_file(&self, file: &ArtifactKey, source: tokio::fs::File) -> Result<(), StorageError>;
}

pub type SharedArtifacts = Arc<dyn ArtifactStore>;

/// The bytes of `range`, gathered (callers keep ranges small).
pub async fn read_all(store: &dyn ArtifactStore, file: &ArtifactKey, range: Range<u64>) -> Result<Vec<u8>, StorageError> {
    use futures_util::TryStreamExt;
    let chunks: Vec<Bytes> = store.read(file, range).await?.try_collect().await.map_err(StorageError::backend)?;
    Ok(chunks.concat())
}
