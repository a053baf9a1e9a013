//! The table for a technician: the verdict first, in words (and which Mac),
//! then one row per condition, then the findings with their remedies, then
//! what the sources said beside their facts (FileVault sources that
//! disagree, password data removed) and the sources that could not answer
//! or answered with a note. Everything from the Mac goes through
//! [`escape::for_terminal`](super::escape::for_terminal).

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table};

use super::Report;
use super::escape::for_terminal;
use crate::probes::SourceStatus;
use crate::rules::{Role, Severity, Verdict};

/// How to draw.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    /// Total width; `None` lets the table fit the terminal it is printed on.
    pub width: Option<u16>,
}

pub fn render(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let paint = |text: &str, color: Color| {
        if style.color { Cell::new(text).fg(color).add_attribute(Attribute::Bold) } else { Cell::new(text) }
    };

    let (headline, color) = match report.verdict {
        Verdict::WillAppear => ("THE DIALOG WILL APPEAR", Color::Red),
        Verdict::WillNotAppear => ("THE DIALOG WILL NOT APPEAR", Color::Green),
        Verdict::Suppressed => ("THE DIALOG IS SUPPRESSED", Color::Yellow),
        Verdict::Unknown => ("CANNOT TELL", Color::Yellow),
    };
    let mut head = new_table(style);
    head.set_header(vec![paint(
        &format!(
            "{headline}  (verdict {}, confidence {})",
            report.verdict.as_str(),
            report.confidence.as_str()
        ),
        color,
    )]);
    head.add_row(vec![Cell::new(for_terminal(&report.summary))]);
    if let Some(user) = &report.user {
        head.add_row(vec![Cell::new(format!("Checked for: {}", for_terminal(user)))]);
    }
    if let Some(mac) = mac_line(report) {
        head.add_row(vec![Cell::new(mac)]);
    }
    out.push_str(&head.to_string());
    out.push('\n');

    let mut conditions = new_table(style);
    conditions.set_header(vec!["Condition", "Role", "Status", "Evidence", "Sources"]);
    for c in &report.conditions {
        let status_cell = match c.met {
            Some(true) => Cell::new("met"),
            Some(false) => Cell::new("not met"),
            None => paint("unknown", Color::Yellow),
        };
        let sources: Vec<&str> = c.sources.iter().map(|s| s.as_str()).collect();
        conditions.add_row(vec![
            Cell::new(c.id.as_str()),
            Cell::new(match c.role {
                Role::Requires => "requires",
                Role::Prevents => "prevents",
            }),
            status_cell,
            Cell::new(format!("{} [{}]", for_terminal(&c.detail), c.confidence.as_str())),
            Cell::new(sources.join("\n")),
        ]);
    }
    out.push('\n');
    out.push_str(&conditions.to_string());
    out.push('\n');

    if !report.findings.is_empty() {
        let mut findings = new_table(style);
        findings.set_header(vec!["Finding", "What it means and what to do"]);
        for f in &report.findings {
            let color = match f.severity {
                Severity::Critical => Color::Red,
                Severity::Warning => Color::Yellow,
                Severity::Info => Color::Cyan,
            };
            let mut text = for_terminal(&f.message);
            if !f.accounts.is_empty() {
                let names: Vec<String> = f.accounts.iter().map(|a| for_terminal(a)).collect();
                text.push_str(&format!("\nAccounts: {}", names.join(", ")));
            }
            text.push_str(&format!("\nRemedy: {}", for_terminal(&f.remedy)));
            findings.add_row(vec![
                paint(&format!("{}\n{}", f.severity.as_str().to_uppercase(), f.id.as_str()), color),
                Cell::new(text),
            ]);
        }
        out.push('\n');
        out.push_str(&findings.to_string());
        out.push('\n');
    }

    let count = report.sources.iter().filter(|s| answered(s.status)).count();
    out.push_str(&format!("\nSources: {count} of {} answered.", report.sources.len()));
    if let Some(note) = &report.facts.filevault.note {
        out.push_str(&format!("\nFileVault: {}.", for_terminal(note)));
    }
    if let Some(note) = super::redaction_note(&report.redacted) {
        out.push('\n');
        out.push_str(&note);
    }
    // A source that answered with a note (cut at the capture limit, password
    // data removed) is listed too: its facts may be incomplete.
    let troubled: Vec<_> = report
        .sources
        .iter()
        .filter(|s| !answered(s.status) || (s.status == SourceStatus::Ok && !s.detail.is_empty()))
        .collect();
    if !troubled.is_empty() {
        let mut sources = new_table(style);
        sources.set_header(vec!["Source", "Status", "Detail"]);
        for s in troubled {
            sources.add_row(vec![
                Cell::new(s.id.as_str()),
                Cell::new(s.status.as_str()),
                Cell::new(for_terminal(&s.detail)),
            ]);
        }
        out.push('\n');
        out.push_str(&sources.to_string());
    }
    out.push('\n');
    out
}

fn answered(status: SourceStatus) -> bool {
    matches!(status, SourceStatus::Ok | SourceStatus::Absent)
}

/// Which Mac the report is about, from the host snapshot and bundle.json,
/// when they say.
fn mac_line(report: &Report) -> Option<String> {
    let host = report.facts.host.as_ref();
    let mut parts = Vec::new();
    if let Some(name) = host.and_then(|h| h.host_name.as_deref()) {
        parts.push(for_terminal(name));
    }
    // sysinfo names macOS by its kernel; its version is the macOS one.
    let os_name = host.and_then(|h| h.os_name.as_deref()).map(|n| if n == "Darwin" { "macOS" } else { n });
    let os = [os_name, host.and_then(|h| h.os_version.as_deref())];
    let os: Vec<String> = os.into_iter().flatten().map(for_terminal).collect();
    if !os.is_empty() {
        parts.push(os.join(" "));
    }
    if let Some(arch) = host.and_then(|h| h.cpu_arch.as_deref()) {
        parts.push(for_terminal(arch));
    }
    if let Some(at) = report.bundle.as_ref().and_then(|b| b.captured_at.as_deref()) {
        parts.push(format!("captured {}", for_terminal(at)));
    }
    (!parts.is_empty()).then(|| format!("Mac: {}", parts.join(", ")))
}

fn new_table(style: Style) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(width) = style.width {
        table.set_width(width);
    }
    if style.color {
        // The caller has decided (a terminal, or --color always); do not guess again.
        table.enforce_styling();
    }
    table
}
