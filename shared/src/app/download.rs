//! A file to answer with (an archive version, a package, an original): copied from the object
//! store into a temporary file that is unlinked at once, and read from its open handle while
//! the answer streams. Memory does not grow with the file, and nothing is left on disk when
//! the answer is done or dropped.

use std::path::Path;

use super::AppError;
use crate::ports::ObjectStore;

#[derive(Debug)]
pub struct Download {
    pub file: std::fs::File,
    pub len: u64,
}

fn io(e: std::io::Error) -> AppError {
    AppError::Internal(format!("download: {e}"))
}

impl Download {
    /// The object at `key`, or `what` not found.
    pub(crate) async fn from_store(
        objects: &dyn ObjectStore,
        key: &str,
        what: &'static str,
    ) -> Result<Self, AppError> {
        let dir = tempfile::tempdir().map_err(io)?;
        let path = dir.path().join("download");
        if !objects.get_to_file(key, &path).await? {
            return Err(AppError::NotFound { what });
        }
        Self::open(&path)
        // `dir` goes here, and the file's name with it; the open handle keeps its data.
    }

    /// A file made in a temporary directory the caller drops afterwards.
    pub(crate) fn open(path: &Path) -> Result<Self, AppError> {
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        Ok(Self { file, len })
    }

    /// All of it (small files, tests).
    pub async fn read_all(self) -> Result<Vec<u8>, AppError> {
        use std::io::Read;
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::with_capacity(self.len as usize);
            let mut file = self.file;
            file.read_to_end(&mut out).map(|_| out)
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(io)
    }
}
