//! `st-preflight rules`: the catalog of conditions and findings, as a table
//! or as JSON.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde::Serialize;

use crate::rules::catalog::{CONDITIONS, FINDINGS};

#[derive(Serialize)]
struct Catalog {
    conditions: Vec<ConditionEntry>,
    findings: Vec<FindingEntry>,
}

#[derive(Serialize)]
struct ConditionEntry {
    id: &'static str,
    role: crate::rules::Role,
    title: &'static str,
    meaning: &'static str,
    versions: &'static str,
    sources: &'static str,
    confidence: &'static str,
}

#[derive(Serialize)]
struct FindingEntry {
    id: &'static str,
    severity: &'static str,
    meaning: &'static str,
    versions: &'static str,
    sources: &'static str,
    confidence: &'static str,
}

fn catalog() -> Catalog {
    Catalog {
        conditions: CONDITIONS
            .iter()
            .map(|c| ConditionEntry {
                id: c.id.as_str(),
                role: c.role,
                title: c.title,
                meaning: c.meaning,
                versions: c.versions,
                sources: c.sources,
                confidence: c.confidence,
            })
            .collect(),
        findings: FINDINGS
            .iter()
            .map(|f| FindingEntry {
                id: f.id_str,
                severity: f.severity,
                meaning: f.meaning,
                versions: f.versions,
                sources: f.sources,
                confidence: f.confidence,
            })
            .collect(),
    }
}

pub fn json() -> String {
    serde_json::to_string_pretty(&catalog()).expect("the catalog always serialises")
}

pub fn table(width: Option<u16>) -> String {
    let catalog = catalog();
    let mut conditions = Table::new();
    conditions.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = width {
        conditions.set_width(w);
    }
    conditions.set_header(vec!["Condition", "What it means"]);
    for c in &catalog.conditions {
        let role = if c.role == crate::rules::Role::Requires { "requires" } else { "prevents" };
        conditions.add_row(vec![
            format!("{}\n{role}", c.id),
            described(c.meaning, c.versions, c.sources, c.confidence),
        ]);
    }
    let mut findings = Table::new();
    findings.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = width {
        findings.set_width(w);
    }
    findings.set_header(vec!["Finding", "What it means"]);
    for f in &catalog.findings {
        findings.add_row(vec![
            f.id.to_string(),
            format!(
                "{}\nSeverity: {}",
                described(f.meaning, f.versions, f.sources, f.confidence),
                f.severity
            ),
        ]);
    }
    format!(
        "The dialog appears when every `requires` condition is met and no `prevents` condition is.\n\n{conditions}\n\n{findings}\n"
    )
}

/// One catalog entry's text: ids stay whole in their own column, and the
/// rest reads as lines, not as columns too narrow to hold a source id.
fn described(meaning: &str, versions: &str, sources: &str, confidence: &str) -> String {
    format!("{meaning}\nmacOS: {versions}\nSources: {sources}\nConfidence: {confidence}")
}
