//! st-preflight: will macOS stop a directory user's first login with the
//! "SecureToken administrator" dialog?
//!
//! The pipeline, one module each: [`host`] (where bytes come from: a bundle,
//! or the live Mac) → [`probes`] (bytes into facts, each with its source) →
//! [`rules`] (pure: facts into conditions, a verdict and findings) →
//! [`report`] (the table and the JSON).

pub mod cli;
pub mod commands;
pub mod exit_code;
pub mod host;
pub mod probes;
pub mod profile;
pub mod report;
pub mod rules;
pub mod source;
