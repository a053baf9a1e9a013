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
use std::path::{Component, Path, PathBuf};

use super::bundle::{FORMAT, Meta, SourceMeta, VERSION};
use super::{Capture, Captures, Host};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{}: already exists and is not empty; name a new or empty folder", .0.display())]
    NotEmpty(PathBuf),
    #[error("{}: is a symlink; name a real folder (st-preflight never writes through a symlink)", .0.display())]
    Symlink(PathBuf),
    #[error("{}: exists and is not a folder", .0.display())]
    NotADirectory(PathBuf),
    #[error("{}: does not name a folder of its own; name the bundle's folder itself", .0.display())]
    NotAFolderName(PathBuf),
    #[error("{}: files appeared in the folder while the sources were captured; nothing was written, name a new folder", .0.display())]
    FilledMeanwhile(PathBuf),
    #[error("{}: cannot read the folder to check that it is still empty: {source}; nothing was written", path.display())]
    Unreadable { path: PathBuf, source: io::Error },
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
        let path = folder_name(dir)?;
        open_folder(&path).map(|fd| Folder { fd, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the bundle; the folder must still be empty, since a file put
    /// there while the commands ran would replay as a source of this Mac.
    pub fn write(&self, captures: &Captures, meta: &Meta) -> Result<Written, WriteError> {
        match is_empty(&self.fd) {
            Ok(true) => self.write_whole(captures, meta),
            Ok(false) => Err(WriteError::FilledMeanwhile(self.path.clone())),
            Err(source) => Err(WriteError::Unreadable { path: self.path.clone(), source }),
        }
    }

    /// Should a file fail (a full disk), the files written so far are
    /// removed: a bundle cut short would read as a whole one whose sources
    /// were not captured.
    fn write_whole(&self, captures: &Captures, meta: &Meta) -> Result<Written, WriteError> {
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
        let mut meta = meta.clone();
        meta.format = FORMAT.to_string();
        meta.version = VERSION;
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
        let redacted = captures.redacted();
        for (source, capture) in captures.iter() {
            let id = source.as_str();
            let source_meta = meta.sources.entry(id.to_string()).or_default();
            source_meta.redacted = redacted.contains(&source);
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
                // No bytes to keep, but why: a replay must say what the live check said.
                Capture::Failed(why) => source_meta.failed = Some(why.clone()),
                Capture::Unreadable(why) => source_meta.refused = Some(why.clone()),
                Capture::Missing => {}
            }
        }
        meta.sources.retain(|_, s| *s != SourceMeta::default());
        let mut json = serde_json::to_vec_pretty(&meta).expect("bundle.json always serialises");
        json.push(b'\n');
        put("bundle.json".to_string(), &json)?;
        Ok(written)
    }
}

/// `dir` without a trailing `/` or `/.`: with one, the system resolves a
/// symlink leaf before any check could see it, and the bundle would be
/// written through the link.
fn folder_name(dir: &Path) -> Result<PathBuf, WriteError> {
    let path: PathBuf = dir.components().collect();
    match path.components().next_back() {
        Some(Component::Normal(_) | Component::CurDir) => Ok(path),
        _ => Err(WriteError::NotAFolderName(dir.to_path_buf())),
    }
}

fn open_folder(dir: &Path) -> Result<OwnedFd, WriteError> {
    match std::fs::symlink_metadata(dir) {
        Ok(md) if md.file_type().is_symlink() => return Err(WriteError::Symlink(dir.to_path_buf())),
        Ok(md) if !md.is_dir() => return Err(WriteError::NotADirectory(dir.to_path_buf())),
        Ok(_) => {}
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
    // Checked through the open folder, so that it cannot be swapped in between.
    let empty =
        is_empty(&folder).map_err(|source| WriteError::Unreadable { path: dir.to_path_buf(), source })?;
    if !empty {
        return Err(WriteError::NotEmpty(dir.to_path_buf()));
    }
    // SAFETY: fchmod on the fd we own; an existing empty folder gets 0700 too.
    if unsafe { libc::fchmod(folder.as_raw_fd(), 0o700) } != 0 {
        return Err(WriteError::Create { path: dir.to_path_buf(), source: io::Error::last_os_error() });
    }
    Ok(folder)
}

/// Whether `folder` holds no entry, read through the open folder itself.
fn is_empty(folder: &OwnedFd) -> io::Result<bool> {
    let dot = c".";
    // A new open of the folder, so that reading it moves no shared offset.
    // SAFETY: valid dir fd and NUL-terminated name.
    let fd = unsafe {
        libc::openat(folder.as_raw_fd(), dot.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC)
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is ours; on success the DIR owns it and closedir closes it.
    let stream = unsafe { libc::fdopendir(fd) };
    if stream.is_null() {
        let err = io::Error::last_os_error();
        // SAFETY: fdopendir failed, so the fd is still ours to close.
        unsafe { libc::close(fd) };
        return Err(err);
    }
    let mut empty = Ok(true);
    loop {
        // readdir says "end" and "error" alike with NULL; only errno tells them apart.
        clear_errno();
        // SAFETY: `stream` is a valid DIR until closedir below.
        let entry = unsafe { libc::readdir(stream) };
        if entry.is_null() {
            let err = io::Error::last_os_error();
            if err.raw_os_error() != Some(0) {
                empty = Err(err);
            }
            break;
        }
        // SAFETY: readdir returned a valid dirent whose d_name is NUL-terminated.
        let name = unsafe { std::ffi::CStr::from_ptr((*entry).d_name.as_ptr()) }.to_bytes();
        if name != b"." && name != b".." {
            empty = Ok(false);
            break;
        }
    }
    // SAFETY: closes the stream (and its fd) exactly once.
    unsafe { libc::closedir(stream) };
    empty
}

fn clear_errno() {
    // SAFETY: the calling thread's errno is always a valid int to write.
    #[cfg(target_os = "linux")]
    unsafe {
        *libc::__errno_location() = 0;
    }
    // SAFETY: as above.
    #[cfg(target_vendor = "apple")]
    unsafe {
        *libc::__error() = 0;
    }
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

    /// A file that cannot be created half-way (here: one that is in the way;
    /// on a Mac, a full disk) takes back the files already written, and
    /// leaves the one that was there alone.
    #[test]
    fn a_bundle_cut_short_is_removed_again() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("b");
        let folder = Folder::open(&dir).unwrap();
        // bundle.json is written last, after every source.
        std::fs::write(dir.join("bundle.json"), "someone else's").unwrap();
        let err = folder.write_whole(&captures(), &Meta::default()).unwrap_err();
        assert!(
            err.to_string().contains("cannot write") && err.to_string().contains("removed again"),
            "{err}"
        );
        assert_eq!(names(&dir), ["bundle.json"]);
        assert_eq!(std::fs::read_to_string(dir.join("bundle.json")).unwrap(), "someone else's");
    }

    /// What lands in the folder while the commands run would replay as this
    /// Mac's own output: the bundle is not written at all.
    #[test]
    fn a_folder_filled_while_capturing_is_not_written() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("b");
        let folder = Folder::open(&dir).unwrap();
        std::fs::write(dir.join("local-users.out"), "planted").unwrap();
        let err = folder.write(&captures(), &Meta::default()).unwrap_err();
        assert!(matches!(err, WriteError::FilledMeanwhile(_)), "{err}");
        assert_eq!(names(&dir), ["local-users.out"]);
    }

    /// `lnk/` and `lnk/.` make the system follow the link before any check
    /// sees it; they name the link, and the link is refused.
    #[test]
    fn a_symlink_is_refused_however_its_name_ends() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("target");
        std::fs::create_dir(&target).unwrap();
        let link = tmp.path().join("lnk");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        for name in ["lnk", "lnk/", "lnk/.", "lnk//./"] {
            let err = Folder::open(&tmp.path().join(name)).err().expect(name);
            assert!(matches!(err, WriteError::Symlink(_)), "{name}: {err}");
        }
        assert!(names(&target).is_empty());
        let err = Folder::open(&tmp.path().join("target/..")).err().unwrap();
        assert!(matches!(err, WriteError::NotAFolderName(_)), "{err}");
    }

    /// A source with no bytes still says why in bundle.json, and one whose
    /// password data was removed says so, so a replay reports what the live
    /// check reported.
    #[test]
    fn why_a_source_has_no_bytes_and_what_was_removed_survive_the_bundle() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("b");
        let mut captures = captures();
        captures
            .insert(SourceId::Last, Capture::Failed("cannot run /usr/bin/last: permission denied".into()));
        captures.insert(SourceId::McxManaged, Capture::Unreadable("is a symlink".into()));
        let users = b"<plist><array><dict><key>dsAttrTypeNative:ShadowHashData</key><array><string>secret</string></array></dict></array></plist>\n";
        captures.insert(
            SourceId::LocalUsers,
            Capture::Done(Output { stdout: users.to_vec(), ..Output::default() }),
        );
        assert_eq!(captures.redacted(), [SourceId::LocalUsers]);
        Folder::open(&dir).unwrap().write(&captures, &Meta::default()).unwrap();

        let replayed = crate::host::bundle::load(&dir).unwrap().captures;
        assert_eq!(replayed.capture(SourceId::Last), captures.capture(SourceId::Last));
        assert_eq!(replayed.capture(SourceId::McxManaged), captures.capture(SourceId::McxManaged));
        assert_eq!(replayed.redacted(), [SourceId::LocalUsers]);
        assert!(!std::fs::read_to_string(dir.join("local-users.out")).unwrap().contains("secret"));
    }
}
