//! Writing a bundle (`collect`, `check --save-bundle`). The bundle names
//! accounts, so the folder is 0700 and its files 0600; it is written only
//! inside the folder the user named, file names come only from the fixed
//! source ids, and nothing is ever written through a symlink.

use std::ffi::CString;
use std::fs::{DirBuilder, File};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use super::bundle::{FORMAT, Meta, VERSION};
use super::{Capture, Captures};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{}: already exists and is not empty; name a new or empty folder", .0.display())]
    NotEmpty(PathBuf),
    #[error("{}: is a symlink; name a real folder (st-preflight never writes through a symlink)", .0.display())]
    Symlink(PathBuf),
    #[error("{}: exists and is not a folder", .0.display())]
    NotADirectory(PathBuf),
    #[error("{}: cannot create the folder: {source}", path.display())]
    Create { path: PathBuf, source: io::Error },
    #[error("{}: cannot write: {source}; the bundle's other files were removed again", path.display())]
    Write { path: PathBuf, source: io::Error },
}

/// What was written.
#[derive(Debug)]
pub struct Written {
    pub files: usize,
    pub bytes: u64,
}

/// The folder a new bundle goes into, opened before anything is captured:
/// a folder that cannot be used is refused before any command runs.
pub struct Folder {
    fd: OwnedFd,
    path: PathBuf,
}

impl Folder {
    /// Creates `dir` (mode 0700), or takes an existing empty folder, and
    /// opens it without following a symlink so that every file is created
    /// inside it.
    pub fn open(dir: &Path) -> Result<Folder, WriteError> {
        open_folder(dir).map(|fd| Folder { fd, path: dir.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the bundle; the folder must still be empty. Should a file fail
    /// (a full disk), the files written so far are removed: a bundle cut
    /// short would read as a whole one whose sources were not captured.
    pub fn write(&self, captures: &Captures, meta: &Meta) -> Result<Written, WriteError> {
        let mut created = Vec::new();
        let written = self.write_files(captures, meta, &mut created);
        if written.is_err() {
            for name in created {
                // SAFETY: a valid dir fd and a NUL-terminated name we created in it.
                unsafe { libc::unlinkat(self.fd.as_raw_fd(), name.as_ptr(), 0) };
            }
        }
        written
    }

    fn write_files(
        &self,
        captures: &Captures,
        meta: &Meta,
        created: &mut Vec<CString>,
    ) -> Result<Written, WriteError> {
        let (folder, dir) = (&self.fd, self.path.as_path());
        let mut written = Written { files: 0, bytes: 0 };
        let mut put = |name: String, bytes: &[u8]| -> Result<(), WriteError> {
            let fail = |source| WriteError::Write { path: dir.join(&name), source };
            let c_name = CString::new(name.as_str()).map_err(|e| fail(io::Error::other(e)))?;
            let file = create_in(folder, &c_name).map_err(fail)?;
            created.push(c_name);
            let mut file = File::from(file);
            file.write_all(bytes).map_err(fail)?;
            written.files += 1;
            written.bytes += bytes.len() as u64;
            Ok(())
        };
        for (source, capture) in captures.iter() {
            let id = source.as_str();
            match capture {
                Capture::Done(out) | Capture::TimedOut(out) => {
                    put(format!("{id}.out"), &out.stdout)?;
                    if !out.stderr.is_empty() {
                        put(format!("{id}.err"), &out.stderr)?;
                    }
                    if out.exit != 0 {
                        put(format!("{id}.exit"), format!("{}\n", out.exit).as_bytes())?;
                    }
                    if matches!(capture, Capture::TimedOut(_)) {
                        put(format!("{id}.timeout"), b"")?;
                    }
                }
                Capture::NotFound => put(format!("{id}.notfound"), b"")?,
                Capture::Absent => put(format!("{id}.absent"), b"")?,
                // Why it failed is in the report; the bundle records it as not captured.
                Capture::Missing | Capture::Failed(_) | Capture::Unreadable(_) => {}
            }
        }
        let mut meta = meta.clone();
        meta.format = FORMAT.to_string();
        meta.version = VERSION;
        let mut json = serde_json::to_vec_pretty(&meta).expect("bundle.json always serialises");
        json.push(b'\n');
        put("bundle.json".to_string(), &json)?;
        Ok(written)
    }
}

fn open_folder(dir: &Path) -> Result<OwnedFd, WriteError> {
    match std::fs::symlink_metadata(dir) {
        Ok(md) if md.file_type().is_symlink() => return Err(WriteError::Symlink(dir.to_path_buf())),
        Ok(md) if !md.is_dir() => return Err(WriteError::NotADirectory(dir.to_path_buf())),
        Ok(_) => {
            let mut entries = std::fs::read_dir(dir)
                .map_err(|source| WriteError::Create { path: dir.to_path_buf(), source })?;
            if entries.next().is_some() {
                return Err(WriteError::NotEmpty(dir.to_path_buf()));
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            DirBuilder::new()
                .mode(0o700)
                .create(dir)
                .map_err(|source| WriteError::Create { path: dir.to_path_buf(), source })?;
        }
        Err(source) => return Err(WriteError::Create { path: dir.to_path_buf(), source }),
    }
    let path = CString::new(dir.as_os_str().as_bytes())
        .map_err(|e| WriteError::Create { path: dir.to_path_buf(), source: io::Error::other(e) })?;
    // SAFETY: `path` is a valid NUL-terminated string; the fd is owned at once.
    let fd = unsafe {
        libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
    };
    if fd < 0 {
        let source = io::Error::last_os_error();
        return Err(if source.raw_os_error() == Some(libc::ELOOP) {
            WriteError::Symlink(dir.to_path_buf())
        } else {
            WriteError::Create { path: dir.to_path_buf(), source }
        });
    }
    // SAFETY: `fd` was just returned by open(2) and is not owned elsewhere.
    let folder = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: fchmod on the fd we own; an existing empty folder gets 0700 too.
    if unsafe { libc::fchmod(folder.as_raw_fd(), 0o700) } != 0 {
        return Err(WriteError::Create { path: dir.to_path_buf(), source: io::Error::last_os_error() });
    }
    Ok(folder)
}

/// A new file (0600) in `folder`: fails if the name exists, even as a symlink.
fn create_in(folder: &OwnedFd, name: &CString) -> io::Result<OwnedFd> {
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: valid dir fd and NUL-terminated name; the fd is owned at once.
    let fd = unsafe { libc::openat(folder.as_raw_fd(), name.as_ptr(), flags, 0o600 as libc::c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by openat(2).
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::Output;
    use crate::source::SourceId;

    fn captures() -> Captures {
        let mut captures = Captures::default();
        for id in SourceId::ALL {
            captures.insert(id, Capture::Done(Output { stdout: b"out\n".to_vec(), ..Output::default() }));
        }
        captures
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    #[test]
    fn a_bundle_is_written_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("b");
        let written = Folder::open(&dir).unwrap().write(&captures(), &Meta::default()).unwrap();
        assert_eq!(written.files, SourceId::ALL.len() + 1);
        assert_eq!(names(&dir).len(), SourceId::ALL.len() + 1);
    }

    /// A file that cannot be created half-way (here: one that appeared after
    /// the folder was opened; on a Mac, a full disk) takes back the files
    /// already written, and leaves the one that was there alone.
    #[test]
    fn a_bundle_cut_short_is_removed_again() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("b");
        let folder = Folder::open(&dir).unwrap();
        // bundle.json is written last, after every source.
        std::fs::write(dir.join("bundle.json"), "someone else's").unwrap();
        let err = folder.write(&captures(), &Meta::default()).unwrap_err();
        assert!(
            err.to_string().contains("cannot write") && err.to_string().contains("removed again"),
            "{err}"
        );
        assert_eq!(names(&dir), ["bundle.json"]);
        assert_eq!(std::fs::read_to_string(dir.join("bundle.json")).unwrap(), "someone else's");
    }
}
