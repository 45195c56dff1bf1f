//! An S3-compatible object store (AWS S3, MinIO, Ceph, …) through the `object_store` crate.
//! Keys go under the URL's prefix; each key part is percent-encoded by `object_store`, so a
//! part is always one path segment.

use super::{ArtifactKey, ArtifactStore, ByteStream, StorageError, StoredFile};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::{Path as StorePath, PathPart};
use object_store::ObjectStore;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

/// Each part of an upload (S3 wants at least 5 MiB), and the parts of one file in flight.
const UPLOAD_PART_BYTES: usize = 8 * 1024 * 1024;
const UPLOAD_PARTS_AT_ONCE: usize = 2;
/// Reads go in ranges of this size, each its own request: a long download (a slow client,
/// a large output) never outlives one request's timeout.
const READ_CHUNK_BYTES: u64 = 8 * 1024 * 1024;

pub struct ObjectStorage {
    store: Arc<dyn ObjectStore>,
    prefix: Vec<String>,
    url: String,
}

impl ObjectStorage {
    /// A store for `url` (`s3://bucket[/prefix]`), with credentials, region and endpoint from
    /// the usual `AWS_*` variables among `vars` (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, …; the server passes its
    /// environment). Requests give up after 15 s of retries, so a store that is down answers
    /// readers with an error, not a hang.
    pub fn open(url: &str, vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("'{url}' is not an s3://bucket/prefix address"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("'{url}' names no bucket"));
        }
        let prefix: Vec<String> = prefix.split('/').filter(|p| !p.is_empty()).map(str::to_owned).collect();
        if prefix.iter().any(|p| p == "." || p == "..") {
            return Err(format!("'{url}' has a prefix with . or .."));
        }
        let retry = object_store::RetryConfig { max_retries: 3, retry_timeout: Duration::from_secs(15), ..Default::default() };
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        let region_given = vars.iter().any(|(k, _)| k == "AWS_REGION" || k == "AWS_DEFAULT_REGION");
        let mut builder = if region_given { AmazonS3Builder::new() } else { AmazonS3Builder::new().with_region("us-east-1") };
        for (key, value) in vars {
            if key.starts_with("AWS_") {
                if let Ok(config) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                    builder = builder.with_config(config, value);
                }
            }
        }
        let builder = builder.with_bucket_name(bucket).with_retry(retry);
        let store = builder.build().map_err(|err| format!("the artifact store {url} cannot be used: {err}"))?;
        Ok(Self { store: Arc::new(store), prefix, url: url.to_owned() })
    }

    /// Fails unless the bucket can be listed: checked at start, so a wrong address or
    /// credentials stop the server with a clear message instead of failing every upload.
    pub async fn check(&self) -> Result<(), String> {
        let prefix = self.path_of(&[]);
        self.store
            .list_with_delimiter(Some(&prefix))
            .await
            .map(|_| ())
            .map_err(|err| format!("the artifact store {} cannot be reached: {err}", self.url))
    }

    fn path_of(&self, parts: &[String]) -> StorePath {
        self.prefix.iter().chain(parts).map(|p| PathPart::from(p.as_str())).collect()
    }

}

#[async_trait]
impl ArtifactStore for ObjectStorage {
    fn describe(&self) -> String {
        format!("the object store {}", self.url)
    }

    async fn list(&self, folder: &ArtifactKey) -> Result<Vec<StoredFile>, StorageError> {
        let prefix = self.path_of(folder.parts());
        let skip = prefix.parts().count();
        let objects: Vec<object_store::ObjectMeta> = self.store.list(Some(&prefix)).try_collect().await.map_err(StorageError::backend)?;
        let mut files: Vec<StoredFile> = objects
            .into_iter()
            .map(|o| {
                let parts: Vec<String> = o.location.parts().skip(skip).map(|p| decoded(p.as_ref())).collect();
                StoredFile { relative: parts.join("/"), size: o.size }
            })
            .filter(|f| !f.relative.is_empty())
            .collect();
        files.sort_by(|a, b| a.relative.cmp(&b.relative));
        Ok(files)
    }

    async fn size(&self, file: &ArtifactKey) -> Result<Option<u64>, StorageError> {
        match self.store.head(&self.path_of(file.parts())).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(StorageError::backend(err)),
        }
    }

    async fn read(&self, file: &ArtifactKey, range: Range<u64>) -> Result<ByteStream, StorageError> {
        let (store, location) = (self.store.clone(), self.path_of(file.parts()));
        // A bounded range (a page of a log) costs one request; a whole file asks its size first.
        let end = if range.end == u64::MAX { self.size(file).await?.ok_or_else(|| StorageError::NotFound(file.to_string()))? } else { range.end };
        let start = range.start.min(end);
        // The first range proves the file exists (an empty range still asks, one byte).
        let first_end = (start + READ_CHUNK_BYTES).min(end).max(start + 1);
        let first = match store.get_range(&location, start..first_end).await {
            Ok(bytes) => bytes,
            Err(object_store::Error::NotFound { .. }) => return Err(StorageError::NotFound(file.to_string())),
            // S3 refuses a range that starts at or past the end: nothing to read, as from a file.
            Err(err) => match self.size(file).await? {
                Some(size) if start >= size => bytes::Bytes::new(),
                Some(_) => return Err(StorageError::backend(err)),
                None => return Err(StorageError::NotFound(file.to_string())),
            },
        };
        let first = first.slice(..first.len().min((end - start) as usize));
        // A short range means the file ends there.
        let next = if (first.len() as u64) < first_end - start { end } else { first_end };
        let rest = futures_util::stream::try_unfold(next, move |at| {
            let (store, location) = (store.clone(), location.clone());
            async move {
                if at >= end {
                    return Ok(None);
                }
                let upto = (at + READ_CHUNK_BYTES).min(end);
                let bytes = store.get_range(&location, at..upto).await.map_err(std::io::Error::other)?;
                // Shorter than asked: the file ends here.
                let next = if (bytes.len() as u64) < upto - at { end } else { upto };
                Ok(Some((bytes, next)))
            }
        });
        Ok(Box::pin(futures_util::stream::once(async move { Ok(first) }).chain(rest)))
    }

    async fn put_file(&self, file: &ArtifactKey, mut source: tokio::fs::File) -> Result<(), StorageError> {
        use tokio::io::AsyncWriteExt;
        let location = self.path_of(file.parts());
        // Small files in one request; large ones in parts, never more than a few in memory.
        let mut writer = object_store::buffered::BufWriter::with_capacity(self.store.clone(), location, UPLOAD_PART_BYTES)
            .with_max_concurrency(UPLOAD_PARTS_AT_ONCE);
        match tokio::io::copy(&mut source, &mut writer).await {
            Ok(_) => writer.shutdown().await.map_err(StorageError::backend),
            Err(err) => {
                let _ = writer.abort().await;
                Err(StorageError::backend(err))
            }
        }
    }
}

/// A key part as the job named it (object_store percent-encodes some characters).
fn decoded(part: &str) -> String {
    urlencoding::decode(part).map(|c| c.into_owned()).unwrap_or_else(|_| part.to_owned())
}
