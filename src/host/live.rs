//! Live probing: every source of this Mac at once, each command with a time
//! limit and an output cap, so that one hung command (an unreachable
//! directory server) can never stall an MDM inventory run.
//!
//! Commands run with their exact argv from [`SourceId::origin`], never
//! through a shell, with stdin closed, a fixed locale and PATH, and in their
//! own process group: on expiry the whole group is killed, and a grandchild
//! that keeps the output pipe open cannot make st-preflight wait. The
//! sysinfo `host` snapshot gets the same time limit as a command.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::bundle::{self, SourceMeta};
use super::{Capture, Captures, Output, ROOT_HINT, snapshot};
use crate::probes::host_info::HostInfo;
use crate::source::{Origin, SourceId};

/// Per-source cap on stdout; past it the command is stopped.
pub const OUTPUT_CAP: usize = 8 * 1024 * 1024;
/// Stderr only explains failures; it gets a smaller cap.
const STDERR_CAP: usize = 64 * 1024;
/// How long to wait for the pipes to drain once a command has exited.
const DRAIN_GRACE: Duration = Duration::from_millis(100);

#[derive(Clone, Debug)]
pub struct Options {
    /// Prefix for every command and file path (tests, offline disks).
    pub system_root: Option<PathBuf>,
    pub timeout: Duration,
    pub output_cap: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { system_root: None, timeout: Duration::from_secs(5), output_cap: OUTPUT_CAP }
    }
}

impl Options {
    /// A Mac path, under the system root when there is one.
    pub fn path(&self, mac_path: &str) -> PathBuf {
        match &self.system_root {
            Some(root) => root.join(mac_path.trim_start_matches('/')),
            None => PathBuf::from(mac_path),
        }
    }

    /// Whether the (system root's) machine is a Mac: it has `sw_vers`.
    pub fn is_mac(&self) -> bool {
        self.path("/usr/bin/sw_vers").is_file()
    }
}

/// The result of probing this Mac.
#[derive(Debug)]
pub struct LiveRun {
    pub captures: Captures,
    pub sources: BTreeMap<SourceId, SourceMeta>,
}

/// Captures every source in parallel; returns when the slowest is done or
/// has been stopped.
pub fn capture_all(opts: &Options) -> LiveRun {
    let results: Vec<(SourceId, Capture, SourceMeta)> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            SourceId::ALL.into_iter().map(|id| scope.spawn(move || capture_one(id, opts))).collect();
        handles.into_iter().map(|h| h.join().expect("a capture thread never panics")).collect()
    });
    let mut captures = Captures::default();
    let mut sources = BTreeMap::new();
    for (id, capture, meta) in results {
        captures.insert(id, capture);
        sources.insert(id, meta);
    }
    LiveRun { captures, sources }
}

fn capture_one(id: SourceId, opts: &Options) -> (SourceId, Capture, SourceMeta) {
    let start = Instant::now();
    let mut meta = SourceMeta::default();
    let capture = match id.origin() {
        Origin::Command(argv) => {
            meta.argv = argv.iter().map(|a| a.to_string()).collect();
            run(&opts.path(argv[0]), &argv[1..], opts)
        }
        Origin::File(path) => {
            meta.path = Some(path.to_string());
            read_file(&opts.path(path), opts.output_cap)
        }
        // The snapshot describes the machine st-preflight runs on, which is
        // not the system under a --system-root.
        Origin::Snapshot if opts.system_root.is_some() => Capture::Missing,
        Origin::Snapshot => snapshot_within(opts.timeout, snapshot::take),
    };
    meta.duration_ms = Some(start.elapsed().as_millis() as u64);
    if let Capture::Done(out) | Capture::TimedOut(out) = &capture {
        meta.truncated = out.truncated;
    }
    (id, capture, meta)
}

/// " (run st-preflight as root ...)", unless it already runs as root: then
/// root is not what is missing.
fn root_hint() -> String {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 { String::new() } else { format!(" ({ROOT_HINT})") }
}

/// The `host` snapshot, under the same time limit as a command: sysinfo's
/// disk listing asks every mount about itself, and a hung network mount can
/// block that call in the kernel for as long as the mount hangs, which would
/// stall the whole check with it.
fn snapshot_within(limit: Duration, take: impl FnOnce() -> HostInfo + Send + 'static) -> Capture {
    match with_deadline(limit, take) {
        Ok(Some(info)) => Capture::Done(Output { stdout: snapshot::to_json(&info), ..Output::default() }),
        // The JSON is written only once the snapshot is whole: nothing to show.
        Ok(None) => Capture::TimedOut(Output::default()),
        Err(reason) => Capture::Failed(format!("the host snapshot {reason}")),
    }
}

/// Runs `f` on a thread of its own and waits at most `limit` for its result;
/// `Ok(None)` when the limit passed first. That thread is then left behind,
/// never joined: it may be stuck in the kernel, and st-preflight exits
/// without waiting for it. `Err` when `f` could not run or panicked.
fn with_deadline<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<Option<T>, String> {
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("deadline".into())
        // A late result has no one to go to; dropping it is all that is left.
        .spawn(move || drop(tx.send(f())))
        .map_err(|e| format!("could not start: {e}"))?;
    match rx.recv_timeout(limit) {
        Ok(value) => Ok(Some(value)),
        Err(RecvTimeoutError::Timeout) => Ok(None),
        Err(RecvTimeoutError::Disconnected) => Err("stopped without an answer".into()),
    }
}

fn read_file(path: &Path, cap: usize) -> Capture {
    let file =
        match OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Capture::Absent,
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                return Capture::Failed(format!("{}: permission denied{}", path.display(), root_hint()));
            }
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Capture::Unreadable(format!("{} is a symlink; not followed", path.display()));
            }
            Err(e) => return Capture::Failed(format!("{}: {e}", path.display())),
        };
    match bundle::read_regular(file, cap as u64) {
        Ok(stdout) => Capture::Done(Output { stdout, ..Output::default() }),
        Err(reason) => Capture::Unreadable(format!("{} {reason}", path.display())),
    }
}

fn run(program: &Path, args: &[&str], opts: &Options) -> Capture {
    #[allow(clippy::disallowed_methods)] // This is the one place that runs commands.
    let mut command = Command::new(program);
    command
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
        .env("LANG", "C")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let child = match command.spawn() {
        Ok(child) => child,
        // ENOENT also comes from a script whose interpreter is missing:
        // only a program that is not there is "not found".
        // (A dangling symlink is a program that is not there.)
        Err(e)
            if e.kind() == io::ErrorKind::NotFound
                && std::fs::metadata(program).is_err_and(|m| m.kind() == io::ErrorKind::NotFound) =>
        {
            return Capture::NotFound;
        }
        // EACCES from something that is not a file (a folder at that path) is not about root.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied && program.is_file() => {
            return Capture::Failed(format!(
                "cannot run {}: permission denied{}",
                program.display(),
                root_hint()
            ));
        }
        Err(e) => return Capture::Failed(format!("cannot run {}: {e}", program.display())),
    };
    supervise(child, opts)
}

/// Reads both pipes until the command exits (and the pipes drain), the time
/// limit passes, or stdout passes the cap.
fn supervise(mut child: Child, opts: &Options) -> Capture {
    let pid = child.id() as libc::pid_t;
    let deadline = Instant::now() + opts.timeout;
    let mut pipes = [
        Pipe::new(child.stdout.take().map(|p| Box::new(p) as Box<dyn ReadFd>), opts.output_cap, AtCap::Stop),
        Pipe::new(child.stderr.take().map(|p| Box::new(p) as Box<dyn ReadFd>), STDERR_CAP, AtCap::Discard),
    ];
    let mut exited_at: Option<Instant> = None;
    let mut timed_out = false;
    loop {
        let now = Instant::now();
        if exited_at.is_none() && has_exited(pid) {
            exited_at = Some(now);
            // Whatever the command left running in its group goes with it,
            // so that nothing keeps our pipes open.
            kill_group(pid);
        }
        let open = pipes.iter().any(Pipe::is_open);
        match exited_at {
            Some(at) if !open || now >= at + DRAIN_GRACE => break,
            None if now >= deadline => {
                timed_out = true;
                kill_group(pid);
                break;
            }
            _ => {}
        }
        if pipes[0].overflowed {
            kill_group(pid);
            break;
        }
        let wait = deadline.saturating_duration_since(now).min(Duration::from_millis(20));
        poll_and_read(&mut pipes, wait);
    }
    let status = reap(&mut child);
    let [stdout, stderr] = pipes;
    let output = Output {
        truncated: stdout.overflowed,
        stdout: stdout.data,
        stderr: stderr.data,
        exit: match status {
            Some(s) => s
                .code()
                .unwrap_or_else(|| 128 + std::os::unix::process::ExitStatusExt::signal(&s).unwrap_or(0)),
            None => -1,
        },
    };
    if timed_out { Capture::TimedOut(output) } else { Capture::Done(output) }
}

/// Waits for a child that has exited or been killed, but not forever: a
/// process stuck in the kernel (a hung network mount) ignores even SIGKILL
/// until it returns, and st-preflight must not wait with it.
fn reap(child: &mut Child) -> Option<std::process::ExitStatus> {
    let give_up = Instant::now() + Duration::from_secs(2);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < give_up => std::thread::sleep(Duration::from_millis(5)),
            _ => return None,
        }
    }
}

trait ReadFd: Read + AsRawFd + Send {}
impl<T: Read + AsRawFd + Send> ReadFd for T {}

/// What to do with output past the cap.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AtCap {
    /// Stop reading: the command is stopped (stdout, whose cap bounds memory).
    Stop,
    /// Keep draining and drop it, so the command is not blocked or killed
    /// for what it says on stderr.
    Discard,
}

struct Pipe {
    reader: Option<Box<dyn ReadFd>>,
    data: Vec<u8>,
    cap: usize,
    at_cap: AtCap,
    overflowed: bool,
}

impl Pipe {
    fn new(reader: Option<Box<dyn ReadFd>>, cap: usize, at_cap: AtCap) -> Pipe {
        if let Some(r) = &reader {
            set_nonblocking(r.as_raw_fd());
        }
        Pipe { reader, data: Vec::new(), cap, at_cap, overflowed: false }
    }

    fn is_open(&self) -> bool {
        self.reader.is_some()
    }

    /// Reads what is there without blocking; closes on EOF or past the cap.
    fn drain(&mut self) {
        let Some(reader) = self.reader.as_mut() else { return };
        let mut buf = [0u8; 64 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => {
                    self.reader = None;
                    return;
                }
                Ok(n) => {
                    let room = self.cap.saturating_sub(self.data.len());
                    self.data.extend_from_slice(&buf[..n.min(room)]);
                    if n > room {
                        self.overflowed = true;
                        if self.at_cap == AtCap::Stop {
                            self.reader = None;
                            return;
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => {
                    self.reader = None;
                    return;
                }
            }
        }
    }
}

fn poll_and_read(pipes: &mut [Pipe; 2], wait: Duration) {
    let mut fds: Vec<libc::pollfd> = pipes
        .iter()
        .filter_map(|p| p.reader.as_ref())
        .map(|r| libc::pollfd { fd: r.as_raw_fd(), events: libc::POLLIN, revents: 0 })
        .collect();
    let ms = wait.as_millis().clamp(1, 1000) as libc::c_int;
    // SAFETY: `fds` is a valid array of `fds.len()` pollfd structs for the call's duration.
    unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    for pipe in pipes.iter_mut() {
        pipe.drain();
    }
}

fn set_nonblocking(fd: libc::c_int) {
    // SAFETY: fcntl on a pipe fd we own; failure leaves it blocking, which
    // poll() before each read still makes safe in practice.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
    }
}

// The `si_code` values of a child that has ended. libc exports them for
// Linux but not for Apple targets; XNU's <sys/signal.h> has the same values.
const CLD_EXITED: libc::c_int = 1;
const CLD_KILLED: libc::c_int = 2;
const CLD_DUMPED: libc::c_int = 3;
#[cfg(target_os = "linux")]
const _: () = assert!(
    libc::CLD_EXITED == CLD_EXITED && libc::CLD_KILLED == CLD_KILLED && libc::CLD_DUMPED == CLD_DUMPED
);

/// Whether the child has exited, without reaping it: the zombie keeps its
/// pid (and so its process group id) reserved until we kill the group.
fn has_exited(pid: libc::pid_t) -> bool {
    // SAFETY: waitid writes only into `info`, which is zeroed and owned here.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        );
        // A non-zero si_pid alone is not enough: waitid may report a child
        // in another state (CLD_STOPPED, CLD_CONTINUED, CLD_TRAPPED), and
        // macOS's waitid is not to be trusted to honour WEXITED alone.
        // Taking such a report for an exit would kill the group of a command
        // that is still running and keep what it had printed so far as its
        // whole answer.
        r == 0 && info.si_pid() != 0 && matches!(info.si_code, CLD_EXITED | CLD_KILLED | CLD_DUMPED)
    }
}

fn kill_group(pid: libc::pid_t) {
    // SAFETY: signals the process group we created for this child (pgid = pid).
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_deadline_gives_what_a_quick_closure_returns() {
        assert_eq!(with_deadline(Duration::from_secs(10), || 42), Ok(Some(42)));
    }

    #[test]
    fn with_deadline_stops_waiting_for_a_slow_closure_at_the_limit() {
        let start = Instant::now();
        // Stands for a disk listing stuck on a hung network mount.
        let late = with_deadline(Duration::from_millis(200), || std::thread::sleep(Duration::from_secs(30)));
        let waited = start.elapsed();
        assert_eq!(late, Ok(None));
        assert!(waited >= Duration::from_millis(200), "gave up early: {waited:?}");
        // Neither the 30 s sleep nor a join of its thread is waited for.
        assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    }

    #[test]
    fn with_deadline_reports_a_closure_that_panicked() {
        let r: Result<Option<()>, String> =
            with_deadline(Duration::from_secs(10), || panic!("a deliberate test panic"));
        assert_eq!(r, Err("stopped without an answer".to_string()));
    }

    #[test]
    fn a_host_snapshot_past_the_limit_is_recorded_as_timed_out_and_empty() {
        let slow = || {
            std::thread::sleep(Duration::from_secs(30));
            HostInfo::default()
        };
        let start = Instant::now();
        let capture = snapshot_within(Duration::from_millis(200), slow);
        assert!(start.elapsed() < Duration::from_secs(5), "waited {:?}", start.elapsed());
        assert_eq!(capture, Capture::TimedOut(Output::default()));
    }

    #[test]
    fn a_host_snapshot_in_time_is_its_json() {
        let info = HostInfo { host_name: Some("lab-01".into()), ..HostInfo::default() };
        let expected = snapshot::to_json(&info);
        let capture = snapshot_within(Duration::from_secs(10), move || info);
        assert_eq!(capture, Capture::Done(Output { stdout: expected, ..Output::default() }));
    }
}
