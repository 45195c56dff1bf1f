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

    /// The key's path and what it is, `None` when a part of it is a link or missing; an error
    /// when the filesystem fails (so a folder that cannot be read is never taken as empty).
    async fn resolve(&self, key: &ArtifactKey) -> Result<Option<(PathBuf, std::fs::Metadata)>, StorageError> {
        let mut path = self.root.clone();
        let mut meta = None;
        for part in key.parts() {
            path.push(part);
            let found = match tokio::fs::symlink_metadata(&path).await {
                Ok(found) => found,
                Err(err) if matches!(err.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => return Ok(None),
                Err(err) => return Err(StorageError::backend(format!("{}: {err}", path.display()))),
            };
            if found.file_type().is_symlink() {
                return Ok(None);
            }
            meta = Some(found);
        }
        Ok(meta.map(|m| (path, m)))
    }
}

/// Opens the file `key` names under `root` for reading only if it is a regular file reached
/// through no link at all: the last part is opened with `O_NOFOLLOW`, and the path the kernel
/// opened must be the one meant (a job cannot swap a folder for a link between the listing
/// and the copy).
pub fn open_inside(root: &Path, key: &ArtifactKey) -> std::io::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let mut meant = std::fs::canonicalize(root)?;
    meant.extend(key.parts());
    // Non-blocking: a FIFO planted by a job must not hang the copy (regular files ignore it).
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(&meant)?;
    let opened = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
    if !file.metadata()?.is_file() || opened != meant {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{} is not a plain file of its folder", meant.display())));
    }
    Ok(file)
}

#[async_trait]
impl ArtifactStore for LocalFolder {
    fn describe(&self) -> String {
        format!("the data folder {}", self.root.display())
    }

    async fn list(&self, folder: &ArtifactKey) -> Result<Vec<StoredFile>, StorageError> {
        let Some((dir, meta)) = self.resolve(folder).await? else { return Ok(Vec::new()) };
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
                // A name that is not UTF-8 can be no key: left out, and said.
                let Some(name) = entry.file_name().to_str().map(|n| format!("{prefix}{n}")) else {
                    tracing::warn!(path = %entry.path().display(), "a file name that is not UTF-8 is left out");
                    continue;
                };
                // The entry's own type: links are neither followed nor listed.
                let meta = match tokio::fs::symlink_metadata(entry.path()).await {
                    Ok(meta) => meta,
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue, // removed meanwhile
                    Err(err) => return Err(StorageError::backend(format!("{}: {err}", entry.path().display()))),
                };
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
        Ok(self.resolve(file).await?.filter(|(_, m)| m.is_file()).map(|(_, m)| m.len()))
    }

    async fn read(&self, file: &ArtifactKey, range: Range<u64>) -> Result<ByteStream, StorageError> {
        let Some((path, meta)) = self.resolve(file).await?.filter(|(_, m)| m.is_file()) else {
            return Err(StorageError::NotFound(file.to_string()));
        };
        let mut opened = tokio::fs::File::open(&path).await.map_err(StorageError::backend)?;
        let start = range.start.min(meta.len());
        opened.seek(std::io::SeekFrom::Start(start)).await.map_err(StorageError::backend)?;
        let limited = opened.take(range.end.saturating_sub(start));
        Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(limited, 64 * 1024)))
    }

    async fn put_file(&self, file: &ArtifactKey, mut source: tokio::fs::File) -> Result<(), StorageError> {
        let mut target = self.root.clone();
        target.extend(file.parts());
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(StorageError::backend)?;
        }
        let mut written = tokio::fs::File::create(&target).await.map_err(StorageError::backend)?;
        tokio::io::copy(&mut source, &mut written).await.map_err(StorageError::backend)?;
        Ok(())
    }
}
