//! The embedded default: files under a data directory, an embedded database (redb), a
//! software seal key, an in-process queue and a mail directory.

mod cipher;
mod key_signer;
mod mailer;
mod object_store;
mod queue;
mod state_store;

pub use cipher::LocalCipher;
pub use key_signer::SoftwareKeySigner;
pub use mailer::MailDir;
pub use object_store::FsObjectStore;
pub use queue::{DeadLetter, InProcessQueue, QueueWorker};
pub use state_store::RedbStateStore;

/// Write `bytes` to `path` atomically: a temporary file beside it, fsync, rename.
pub(crate) fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Like `write_atomic`, copying from the file at `source` in chunks.
pub(crate) fn copy_atomic(source: &std::path::Path, path: &std::path::Path) -> std::io::Result<()> {
    let mut from = std::fs::File::open(source)?;
    write_atomic_with(path, |f| std::io::copy(&mut from, f).map(|_| ()))
}

/// Like `copy_atomic`, but only if nothing is at `path` yet: `false` when something is. The
/// complete temporary file is hard-linked into place, which fails (atomically) when the name
/// is taken, where a rename would replace.
pub(crate) fn copy_once(source: &std::path::Path, path: &std::path::Path) -> std::io::Result<bool> {
    let mut from = std::fs::File::open(source)?;
    let mut linked = true;
    write_with(
        path,
        |f| std::io::copy(&mut from, f).map(|_| ()),
        |tmp, path| {
            match std::fs::hard_link(tmp, path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    linked = false;
                    Ok(())
                }
                Err(e) => Err(e),
            }
            .and_then(|()| std::fs::remove_file(tmp))
        },
    )?;
    Ok(linked)
}

fn write_atomic_with(
    path: &std::path::Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    write_with(path, fill, |tmp, path| std::fs::rename(tmp, path))
}

/// Fill a temporary file beside `path`, make it durable, then `place` it; the temporary file
/// never outlives a failure.
fn write_with(
    path: &std::path::Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
    place: impl FnOnce(&std::path::Path, &std::path::Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path.parent().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "path has no parent")
    })?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("obj"),
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        fill(&mut f)?;
        f.sync_all()?;
        place(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
