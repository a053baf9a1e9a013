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
    #[error("{}: cannot write: {source}", path.display())]
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

    /// Writes the bundle; the folder must still be empty.
    pub fn write(&self, captures: &Captures, meta: &Meta) -> Result<Written, WriteError> {
        let (folder, dir) = (&self.fd, self.path.as_path());
        let mut written = Written { files: 0, bytes: 0 };
        let mut put = |name: String, bytes: &[u8]| -> Result<(), WriteError> {
            let file = create_in(folder, &name)
                .map_err(|source| WriteError::Write { path: dir.join(&name), source })?;
            let mut file = File::from(file);
            file.write_all(bytes).map_err(|source| WriteError::Write { path: dir.join(&name), source })?;
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
fn create_in(folder: &OwnedFd, name: &str) -> io::Result<OwnedFd> {
    let name = CString::new(name).map_err(io::Error::other)?;
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: valid dir fd and NUL-terminated name; the fd is owned at once.
    let fd = unsafe { libc::openat(folder.as_raw_fd(), name.as_ptr(), flags, 0o600 as libc::c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by openat(2).
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
