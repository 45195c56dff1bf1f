//! Files of either store as a zip, streamed while it is written: no temporary file, memory
//! bounded by one chunk.

use super::{ArtifactKey, SharedArtifacts};
use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipEntryBuilder};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio_util::compat::FuturesAsyncWriteCompatExt;

/// A file to put in a zip: where it is, and its name inside the archive.
#[derive(Clone)]
pub struct ZipItem {
    pub store: SharedArtifacts,
    pub key: ArtifactKey,
    pub name: String,
    /// Its size when listed: the zip holds the file as it was then (one request per file).
    pub size: u64,
}

/// Streams a zip of `items` into `out` while it is written. Files that vanished meanwhile are
/// left out; an error (the client went away, the store failed mid-file) ends the archive
/// early, so the client sees a broken zip rather than a silently short file.
pub async fn write_zip<W>(items: Vec<ZipItem>, out: W) -> Result<(), async_zip::error::ZipError>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut zip = ZipFileWriter::with_tokio(out);
    for item in items {
        let mut bytes = match item.store.read(&item.key, 0..item.size).await {
            Ok(bytes) => bytes,
            Err(super::StorageError::NotFound(_)) => continue,
            Err(err) => return Err(async_zip::error::ZipError::UpstreamReadError(std::io::Error::other(err))),
        };
        let entry = ZipEntryBuilder::new(item.name.into(), Compression::Deflate);
        let mut writer = zip.write_entry_stream(entry).await?.compat_write();
        while let Some(chunk) = bytes.next().await {
            writer.write_all(&chunk?).await?;
        }
        writer.into_inner().close().await?;
    }
    zip.close().await?;
    Ok(())
}
