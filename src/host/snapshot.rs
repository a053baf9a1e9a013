//! The `host` source: what st-preflight itself can tell about the machine it
//! runs on, from sysinfo, written as JSON so that a bundle replays it.

use sysinfo::{DiskRefreshKind, Disks, System};

use crate::probes::host_info::HostInfo;

/// Takes the snapshot. Each field is `None` when sysinfo cannot tell.
///
/// The fields are as sysinfo reports them, not macOS's own names. On a Mac,
/// `os_name` is the kernel's `kern.ostype`, `"Darwin"` (not `"macOS"`; that
/// name is sw_vers' `ProductName`), `os_version` is `kern.osproductversion`
/// (e.g. `"14.0"`), and `kernel_version` is the Darwin release
/// (`kern.osrelease`, e.g. `"23.0.0"`).
///
/// It may block: the disk listing asks every mount about itself, and a hung
/// network mount does not answer. The live host runs it under a time limit.
pub fn take() -> HostInfo {
    let root_filesystem =
        Disks::new_with_refreshed_list_specifics(DiskRefreshKind::nothing()).ok().and_then(|disks| {
            disks
                .iter()
                .find(|d| d.mount_point() == std::path::Path::new("/"))
                .map(|d| d.file_system().to_string_lossy().into_owned())
        });
    HostInfo {
        host_name: System::host_name().ok(),
        // "Darwin" on a Mac (kern.ostype), as sysinfo reports it; see above.
        os_name: System::name().ok(),
        os_version: System::os_version().ok(),
        kernel_version: System::kernel_version().ok(),
        cpu_arch: Some(System::cpu_arch()).filter(|a| !a.is_empty()),
        root_filesystem,
    }
}

/// The snapshot as the bytes of `host.out`.
pub fn to_json(info: &HostInfo) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(info).expect("the snapshot always serialises");
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    /// Prints what this machine reports; fails only if the snapshot does not
    /// round-trip through the `host` probe.
    #[test]
    #[allow(clippy::disallowed_macros)] // Shows what this machine reports, in the test log.
    fn snapshot_of_this_machine() {
        let info = super::take();
        println!("{info:?}");
        let out = crate::host::Output { stdout: super::to_json(&info), ..Default::default() };
        assert_eq!(crate::probes::host_info::parse(&out).unwrap(), info);
    }
}
