//! The data folder as an artifact store: files are read where the jobs wrote them. Symbolic
//! links are never followed or listed, so a job cannot expose files outside its folder.

use super::{ArtifactKey, ArtifactStore, ByteStream, StorageError, StoredFile};
use async_trait::async_trait;
use std::ops::Range;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

pub struct LocalFolder {
    root: PathBuf,
}

impl LocalFolder {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The key's path, or `None` when a part of it is a link or missing.
    async fn resolve(&self, key: &ArtifactKey) -> Option<(PathBuf, std::fs::Metadata)> {
        let mut path = self.root.clone();
        let mut meta = None;
        for part in key.parts() {
            path.push(part);
            let found = tokio::fs::symlink_metadata(&path).await.ok()?;
            if found.file_type().is_symlink() {
                return None;
            }
            meta = Some(found);
        }
        meta.map(|m| (path, m))
    }
}

#[async_trait]
impl ArtifactStore for LocalFolder {
    fn describe(&self) -> String {
        format!("the data folder {}", self.root.display())
    }

    async fn list(&self, folder: &ArtifactKey) -> Result<Vec<StoredFile>, StorageError> {
        let Some((dir, meta)) = self.resolve(folder).await else { return Ok(Vec::new()) };
        if !meta.is_dir() {
            return Ok(Vec::new());
        }
        let mut files = Vec::new();
        let mut pending = vec![(dir, String::new())];
        while let Some((folder, prefix)) = pending.pop() {
            let mut entries = match tokio::fs::read_dir(&folder).await {
                Ok(entries) => entries,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                Err(err) => return Err(StorageError::backend(err)),
            };
            while let Some(entry) = entries.next_entry().await.map_err(StorageError::backend)? {
                // The entry's own type: links are neither followed nor listed.
                let Ok(meta) = tokio::fs::symlink_metadata(entry.path()).await else { continue };
                let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
                if meta.is_dir() {
                    pending.push((entry.path(), format!("{name}/")));
                } else if meta.is_file() {
                    files.push(StoredFile { relative: name, size: meta.len() });
                }
            }
        }
        files.sort_by(|a, b| a.relative.cmp(&b.relative));
        Ok(files)
    }

    async fn size(&self, file: &ArtifactKey) -> Result<Option<u64>, StorageError> {
        Ok(self.resolve(file).await.filter(|(_, m)| m.is_file()).map(|(_, m)| m.len()))
    }

    async fn read(&self, file: &ArtifactKey, range: Range<u64>) -> Result<ByteStream, StorageError> {
        let Some((path, meta)) = self.resolve(file).await.filter(|(_, m)| m.is_file()) else {
            return Err(StorageError::NotFound(file.to_string()));
        };
        let mut opened = tokio::fs::File::open(&path).await.map_err(StorageError::backend)?;
        let start = range.start.min(meta.len());
        opened.seek(std::io::SeekFrom::Start(start)).await.map_err(StorageError::backend)?;
        let limited = opened.take(range.end.saturating_sub(start));
        Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(limited, 64 * 1024)))
    }

    async fn put_file(&self, file: &ArtifactKey, source: &Path) -> Result<(), StorageError> {
        let mut target = self.root.clone();
        target.extend(file.parts());
        if target == source {
            return Ok(());
        }
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(StorageError::backend)?;
        }
        tokio::fs::copy(source, &target).await.map_err(StorageError::backend)?;
        Ok(())
    }
}
