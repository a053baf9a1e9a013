//! The bundle: a directory holding a Mac's raw state, one set of files per
//! source (`<id>.out`, `.err`, `.exit`, markers) plus an optional
//! `bundle.json`. `docs/bundle-format.md` is the specification; this module
//! reads it defensively, since a bundle may come from a broken or hostile Mac.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Capture, Captures, Output};
use crate::source::SourceId;

/// The `format` value of `bundle.json`.
pub const FORMAT: &str = "st-preflight-bundle";
/// The newest bundle version this build reads (and the one it writes).
pub const VERSION: u64 = 1;
/// A bundle file larger than this is refused for that source only, so a
/// huge or endless file can never exhaust memory.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// All of a bundle's `.out` files together: thirteen files at the per-file
/// limit must not take the best part of a gigabyte. A source past it is
/// refused as too large, in source order, so the outcome is the same each time.
pub const MAX_BUNDLE_BYTES: u64 = 160 * 1024 * 1024;
/// How much of a `.err` file is read: only its first lines are ever shown.
pub const MAX_ERR_BYTES: u64 = 64 * 1024;

/// `bundle.json`: where and when the bundle was captured.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    pub format: String,
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    #[serde(default)]
    pub sources: BTreeMap<String, SourceMeta>,
}

/// How one source was captured.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct SourceMeta {
    /// The command run (empty for a file source).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub argv: Vec<String>,
    /// The file read, for a file source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// The output was cut at the capture limit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// Password data was removed from the output before it was written.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub redacted: bool,
    /// The command could not be started, or the file not read: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// The file's bytes were refused (a symlink, not a regular file...): why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// Why a directory cannot be used as a bundle at all.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{}: no such directory; pass the folder written by `st-preflight collect`", .0.display())]
    NotFound(PathBuf),
    #[error("{}: not a directory; a bundle is a folder of <source>.out files", .0.display())]
    NotADirectory(PathBuf),
    #[error("{}: cannot read the folder: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "{}: not a bundle: it holds neither bundle.json nor any <source>.out file or marker (e.g. sw-vers.out)",
        .0.display()
    )]
    NotABundle(PathBuf),
    #[error("{}: bundle.json is not valid: {reason}", path.display())]
    BadMeta { path: PathBuf, reason: String },
    #[error("{}: bundle.json names format {found:?}; st-preflight reads only {FORMAT:?}", path.display())]
    WrongFormat { path: PathBuf, found: String },
    #[error(
        "{}: bundle version {found} is newer than this st-preflight reads (up to {VERSION}); upgrade st-preflight",
        path.display()
    )]
    FutureVersion { path: PathBuf, found: u64 },
}

/// A loaded bundle.
#[derive(Debug)]
pub struct Bundle {
    pub meta: Option<Meta>,
    pub captures: Captures,
}

/// Reads the bundle in `dir`. Problems with one source's files become that
/// source's capture (`Unreadable`); only a folder that is not a bundle at all,
/// or a `bundle.json` this build must not read, is an error.
pub fn load(dir: &Path) -> Result<Bundle, BundleError> {
    load_within(dir, MAX_BUNDLE_BYTES)
}

fn load_within(dir: &Path, mut budget: u64) -> Result<Bundle, BundleError> {
    let md = std::fs::metadata(dir).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => BundleError::NotFound(dir.to_path_buf()),
        _ => BundleError::Io { path: dir.to_path_buf(), source: e },
    })?;
    if !md.is_dir() {
        return Err(BundleError::NotADirectory(dir.to_path_buf()));
    }
    let meta = load_meta(dir)?;
    let mut captures = Captures::default();
    let mut any_source = false;
    for source in SourceId::ALL {
        let mut capture = load_source(dir, source, &mut budget);
        let recorded = meta.as_ref().and_then(|m| m.sources.get(source.as_str()));
        if let Some(recorded) = recorded {
            match &mut capture {
                Capture::Done(out) | Capture::TimedOut(out) => out.truncated = recorded.truncated,
                // No files, but bundle.json says why: what the live check said.
                Capture::Missing => {
                    if let Some(why) = &recorded.failed {
                        capture = Capture::Failed(why.clone());
                    } else if let Some(why) = &recorded.refused {
                        capture = Capture::Unreadable(why.clone());
                    }
                }
                _ => {}
            }
        }
        // Only bytes can have had something removed from them.
        let redacted = recorded.is_some_and(|r| r.redacted)
            && matches!(capture, Capture::Done(_) | Capture::TimedOut(_));
        any_source |= capture != Capture::Missing;
        captures.insert(source, capture);
        if redacted {
            captures.mark_redacted(source);
        }
    }
    if meta.is_none() && !any_source {
        return Err(BundleError::NotABundle(dir.to_path_buf()));
    }
    Ok(Bundle { meta, captures })
}

fn load_meta(dir: &Path) -> Result<Option<Meta>, BundleError> {
    let path = dir.join("bundle.json");
    let bytes = match read_capped(&path, 1024 * 1024) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Ok(None),
        Err(reason) => return Err(BundleError::BadMeta { path, reason }),
    };
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| BundleError::BadMeta { path: path.clone(), reason: e.to_string() })?;
    // Format and version are checked before the rest, so that a future
    // version with a different shape gets the "upgrade" message, not a parse error.
    let format = value.get("format").and_then(|v| v.as_str()).unwrap_or_default();
    if format != FORMAT {
        return Err(BundleError::WrongFormat { path, found: format.to_string() });
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v > VERSION => return Err(BundleError::FutureVersion { path, found: v }),
        Some(_) => {}
        None => {
            let reason = "\"version\" must be a whole number".to_string();
            return Err(BundleError::BadMeta { path, reason });
        }
    }
    serde_json::from_value(value).map(Some).map_err(|e| BundleError::BadMeta { path, reason: e.to_string() })
}

fn load_source(dir: &Path, source: SourceId, budget: &mut u64) -> Capture {
    let file = |ext: &str| dir.join(format!("{}.{ext}", source.as_str()));
    let exists = |ext: &str| std::fs::symlink_metadata(file(ext)).is_ok();

    if exists("notfound") {
        return Capture::NotFound;
    }
    if exists("absent") {
        // Both "the file does not exist" and its bytes: one of them is a lie,
        // and believing the marker could hide a setting.
        if exists("out") {
            return Capture::Unreadable(format!(
                "{0}.absent and {0}.out are both present; a bundle holds one or the other",
                source.as_str()
            ));
        }
        return Capture::Absent;
    }
    let timed_out = exists("timeout");
    let stdout = match read_out(&file("out"), *budget) {
        Ok(bytes) => bytes,
        Err(reason) => return Capture::Unreadable(format!("{}.out {reason}", source.as_str())),
    };
    *budget -= stdout.as_ref().map_or(0, |b| b.len() as u64);
    let stderr = match read_prefix(&file("err"), MAX_ERR_BYTES) {
        Ok(bytes) => bytes,
        Err(reason) => return Capture::Unreadable(format!("{}.err {reason}", source.as_str())),
    };
    // A decimal status, a sign and a newline: nothing longer is one.
    let exit = match read_capped(&file("exit"), 64) {
        Ok(None) => None,
        Ok(Some(bytes)) => match std::str::from_utf8(&bytes).ok().and_then(|s| s.trim().parse().ok()) {
            Some(code) => Some(code),
            None => {
                return Capture::Unreadable(format!(
                    "{}.exit does not hold a decimal exit status",
                    source.as_str()
                ));
            }
        },
        Err(reason) => return Capture::Unreadable(format!("{}.exit {reason}", source.as_str())),
    };
    if stdout.is_none() && stderr.is_none() && exit.is_none() && !timed_out {
        return Capture::Missing;
    }
    let output = Output {
        stdout: stdout.unwrap_or_default(),
        stderr: stderr.unwrap_or_default(),
        exit: exit.unwrap_or(0),
        truncated: false,
    };
    if timed_out { Capture::TimedOut(output) } else { Capture::Done(output) }
}

/// Reads a regular file of at most `cap` bytes. `Ok(None)` when it does not
/// exist. Symlinks, directories, FIFOs and devices are refused without
/// blocking: the file is opened with `O_NOFOLLOW | O_NONBLOCK` and checked
/// through the open handle, so it cannot be swapped in between.
fn read_capped(path: &Path, cap: u64) -> Result<Option<Vec<u8>>, String> {
    match open_regular(path)? {
        Some(file) => read_regular(file, cap).map(Some),
        None => Ok(None),
    }
}

/// A `.out`: at most `MAX_FILE_BYTES`, and at most what is left of the
/// bundle's budget for all of them.
fn read_out(path: &Path, budget: u64) -> Result<Option<Vec<u8>>, String> {
    let Some(file) = open_regular(path)? else { return Ok(None) };
    let len = file.metadata().map_err(|e| format!("cannot be read: {e}"))?.len();
    if len <= MAX_FILE_BYTES && len > budget {
        return Err(format!(
            "is too large ({len} bytes) for what is left ({budget} bytes) of the limit on all .out files together ({MAX_BUNDLE_BYTES} bytes)"
        ));
    }
    read_regular(file, MAX_FILE_BYTES.min(budget)).map(Some)
}

/// Opens a bundle file for reading; `Ok(None)` when it does not exist.
fn open_regular(path: &Path) -> Result<Option<File>, String> {
    let file =
        match OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err("is a symlink; bundle files must be regular files".into());
            }
            Err(e) => return Err(format!("cannot be read: {e}")),
        };
    // A hard link is another name for a file elsewhere on the volume (on
    // macOS any user can link to a file they cannot read): run as root,
    // st-preflight would read it and quote its stderr in the report.
    if let Ok(md) = file.metadata()
        && md.is_file()
        && md.nlink() > 1
    {
        return Err("is a hard link; bundle files must be regular files of their own".into());
    }
    Ok(Some(file))
}

/// Like [`read_capped`], but a longer file is cut at `cap` bytes, not refused.
fn read_prefix(path: &Path, cap: u64) -> Result<Option<Vec<u8>>, String> {
    let Some(file) = open_regular(path)? else { return Ok(None) };
    let md = file.metadata().map_err(|e| format!("cannot be read: {e}"))?;
    if !md.is_file() {
        return Err("is not a regular file".into());
    }
    let mut bytes = Vec::with_capacity(md.len().min(cap) as usize);
    file.take(cap).read_to_end(&mut bytes).map_err(|e| format!("cannot be read: {e}"))?;
    Ok(Some(bytes))
}

pub(crate) fn read_regular(file: File, cap: u64) -> Result<Vec<u8>, String> {
    let md = file.metadata().map_err(|e| format!("cannot be read: {e}"))?;
    if !md.is_file() {
        return Err("is not a regular file".into());
    }
    if md.len() > cap {
        return Err(format!("is too large ({} bytes; the limit is {cap})", md.len()));
    }
    let mut bytes = Vec::with_capacity(md.len() as usize);
    // The length check above can race with a growing file; the cap holds anyway.
    file.take(cap + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot be read: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(format!("is too large (more than {cap} bytes)"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::Host;

    #[test]
    fn a_file_marked_absent_that_has_bytes_too_is_not_believed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mcx-managed.absent"), "").unwrap();
        std::fs::write(dir.path().join("mcx-managed.out"), "<plist/>").unwrap();
        use crate::host::Host;
        let bundle = load(dir.path()).unwrap();
        assert!(
            matches!(bundle.captures.capture(SourceId::McxManaged), Capture::Unreadable(why) if why.contains("both"))
        );
    }

    /// Found writing tests/hostile.rs: symlinks were refused but a hard link
    /// to a file outside the bundle was read, and a failed source's stderr is
    /// quoted in the report, so `last.err` linked to a root-only file leaked
    /// its first 300 characters when st-preflight ran as root.
    #[test]
    fn hard_links_are_refused_like_symlinks() {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("master.passwd");
        std::fs::write(&secret, "root:$6$secret:0:0\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::hard_link(&secret, dir.path().join("last.err")).unwrap();
        std::fs::write(dir.path().join("last.exit"), "1\n").unwrap();
        let bundle = load(dir.path()).unwrap();
        use crate::host::Host;
        match bundle.captures.capture(SourceId::Last) {
            Capture::Unreadable(why) => assert!(why.contains("hard link"), "{why}"),
            other => panic!("{other:?}"),
        }
        // An ordinary file is still read.
        std::fs::write(dir.path().join("sw-vers.out"), "10.13.6\n").unwrap();
        let bundle = load(dir.path()).unwrap();
        assert!(matches!(bundle.captures.capture(SourceId::SwVers), Capture::Done(_)));
    }

    /// Sparse files cost no disk but would cost memory: the bundle as a whole
    /// has a limit, and the source that passes it is refused, not the rest.
    #[test]
    fn the_out_files_together_have_a_limit() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("sw-vers.out"), "ProductVersion:\t10.13.6\n").unwrap();
        for id in ["diskutil-info", "crypto-users"] {
            let file = File::create(tmp.path().join(format!("{id}.out"))).unwrap();
            file.set_len(1000).unwrap();
        }
        let bundle = load_within(tmp.path(), 1500).unwrap();
        assert!(matches!(bundle.captures.capture(SourceId::SwVers), Capture::Done(_)));
        assert!(matches!(bundle.captures.capture(SourceId::DiskutilInfo), Capture::Done(_)));
        match bundle.captures.capture(SourceId::CryptoUsers) {
            Capture::Unreadable(why) => assert!(why.contains("all .out files together"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    /// Only a `.err`'s first lines are shown: a long one is cut, and the
    /// source's output still counts.
    #[test]
    fn a_long_err_is_cut_not_refused() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("last.out"), "").unwrap();
        std::fs::write(tmp.path().join("last.err"), vec![b'e'; 2 * MAX_ERR_BYTES as usize]).unwrap();
        match load(tmp.path()).unwrap().captures.capture(SourceId::Last) {
            Capture::Done(out) => assert_eq!(out.stderr.len() as u64, MAX_ERR_BYTES),
            other => panic!("{other:?}"),
        }
    }
}
