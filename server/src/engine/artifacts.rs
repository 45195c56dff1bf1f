//! Job files leave the server only through here: whole folders as a zip streamed while it is
//! written (no temporary file, memory bounded by one chunk), or one file by a relative path
//! that cannot leave its folder. Symbolic links are never followed or listed.

use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipEntryBuilder};
use std::path::{Component, Path, PathBuf};
use tokio_util::compat::FuturesAsyncWriteCompatExt;

/// A file to put in a zip: where it is, and its name inside the archive.
#[derive(Debug, Clone, PartialEq)]
pub struct ZipItem {
    pub source: PathBuf,
    pub name: String,
}

/// Every regular file under `dir` (symbolic links skipped), named `prefix/relative/path`.
/// A missing folder has no files.
pub async fn files_under(dir: &Path, prefix: &str) -> std::io::Result<Vec<ZipItem>> {
    let mut items = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), prefix.to_owned())];
    while let Some((folder, name)) = pending.pop() {
        let mut entries = match tokio::fs::read_dir(&folder).await {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        while let Some(entry) = entries.next_entry().await? {
            let kind = entry.file_type().await?; // of the entry itself: links are not followed
            let child = format!("{name}/{}", entry.file_name().to_string_lossy());
            if kind.is_dir() {
                pending.push((entry.path(), child));
            } else if kind.is_file() {
                items.push(ZipItem { source: entry.path(), name: child });
            }
        }
    }
    items.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(items)
}

/// One regular file named by `relative` under `root`, or `None` when the path is not plain
/// (`..`, absolute, empty parts), goes through a symbolic link, or names no file.
pub async fn file_within(root: &Path, relative: &str) -> Option<PathBuf> {
    let relative = Path::new(relative);
    let mut path = root.to_path_buf();
    for component in relative.components() {
        match component {
            Component::Normal(part) => path.push(part),
            _ => return None,
        }
        let meta = tokio::fs::symlink_metadata(&path).await.ok()?;
        if meta.file_type().is_symlink() {
            return None;
        }
    }
    let meta = tokio::fs::symlink_metadata(&path).await.ok()?;
    (meta.is_file() && path != root).then_some(path)
}

/// Streams a zip of `items` into `out` while it is written. Files that vanished meanwhile are
/// left out; an error (the client went away) ends the archive early.
pub async fn write_zip<W>(items: Vec<ZipItem>, out: W) -> Result<(), async_zip::error::ZipError>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut zip = ZipFileWriter::with_tokio(out);
    for item in items {
        let Ok(mut file) = tokio::fs::File::open(&item.source).await else { continue };
        let entry = ZipEntryBuilder::new(item.name.into(), Compression::Deflate);
        let mut writer = zip.write_entry_stream(entry).await?.compat_write();
        tokio::io::copy(&mut file, &mut writer).await?;
        writer.into_inner().close().await?;
    }
    zip.close().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn paths_stay_inside_their_folder_and_links_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("outputs");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.nc"), "a").unwrap();
        std::fs::write(dir.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("link")).unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join("up")).unwrap();
        assert_eq!(file_within(&root, "sub/a.nc").await, Some(root.join("sub/a.nc")));
        for bad in ["../secret", "/etc/passwd", "sub/../../secret", "link", "up/secret", "sub", "", "missing"] {
            assert_eq!(file_within(&root, bad).await, None, "{bad}");
        }
        let items = files_under(&root, "job").await.unwrap();
        assert_eq!(items, vec![ZipItem { source: root.join("sub/a.nc"), name: "job/sub/a.nc".into() }]);
        assert!(files_under(&dir.path().join("none"), "x").await.unwrap().is_empty());
    }
}
