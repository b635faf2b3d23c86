//! Runs case files through the subject and the engine, applying the reviewed exceptions.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::engine::{evaluate, CheckFailure};
use crate::tracewire_subject as subject;

/// The reviewed scope and exception list (`tests/conformance/exceptions.toml`).
#[derive(Default)]
pub struct Exceptions {
    /// Feature tag → why cases carrying it are out of scope.
    pub skip_features: BTreeMap<String, String>,
    /// Case id → why it is expected to fail and what tracewire does instead.
    pub cases: BTreeMap<String, String>,
}

impl Exceptions {
    /// Reads the file; a missing file means no exceptions.
    pub fn load(path: &Path) -> Result<Self, String> {
        if !path.exists() {
            return Ok(Self::default());
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let v: toml::Table = text
            .parse()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let table = |name: &str| -> Result<BTreeMap<String, String>, String> {
            match v.get(name) {
                None => Ok(BTreeMap::new()),
                Some(toml::Value::Table(t)) => t
                    .iter()
                    .map(|(k, v)| {
                        v.as_str()
                            .map(|s| (k.clone(), s.to_string()))
                            .ok_or_else(|| format!("{name}.{k}: reason must be a string"))
                    })
                    .collect(),
                Some(_) => Err(format!("[{name}] must be a table")),
            }
        };
        Ok(Exceptions {
            skip_features: table("skip_features")?,
            cases: table("cases")?,
        })
    }
}

/// The outcome of one case.
pub enum Outcome {
    /// Every check held.
    Pass,
    /// Some check failed (or the case could not be run).
    Fail(Vec<CheckFailure>),
    /// Out of scope (feature tag), with the reason.
    Skip(String),
    /// Failed, and listed in the exceptions with this reason.
    ExpectedFail(String, Vec<CheckFailure>),
    /// Listed in the exceptions but passed: the list must shrink.
    UnexpectedPass(String),
}

/// Counts for the closing line.
#[derive(Default, Debug, Clone, Copy)]
pub struct Summary {
    /// Cases that passed.
    pub passed: usize,
    /// Unlisted failures and listed cases that now pass.
    pub failed: usize,
    /// Out-of-scope cases.
    pub skipped_scope: usize,
    /// Listed failures.
    pub listed: usize,
}

impl Summary {
    /// `N passed, M failed, K skipped`.
    pub fn line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed,
            self.failed,
            self.skipped_scope + self.listed
        )
    }
}

/// Runs one case.
pub fn run_case(case: &Value, ex: &Exceptions) -> Outcome {
    let id = case["id"].as_str().unwrap_or("?");
    for f in case["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if let Some(reason) = ex.skip_features.get(f) {
            return Outcome::Skip(format!("{f}: {reason}"));
        }
    }
    let failures = match subject::run(case) {
        Ok(obs) => evaluate(case, &obs),
        Err(e) => vec![CheckFailure {
            check: "(run the case)".into(),
            expected: "the case runs".into(),
            got: e,
        }],
    };
    match (failures.is_empty(), ex.cases.get(id)) {
        (true, None) => Outcome::Pass,
        (true, Some(r)) => Outcome::UnexpectedPass(r.clone()),
        (false, None) => Outcome::Fail(failures),
        (false, Some(r)) => Outcome::ExpectedFail(r.clone(), failures),
    }
}

/// Loads a case file (a JSON array of case objects).
pub fn load(path: &Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    match serde_json::from_str::<Value>(&text).map_err(|e| format!("{}: {e}", path.display()))? {
        Value::Array(v) => Ok(v),
        _ => Err(format!(
            "{}: expected a JSON array of cases",
            path.display()
        )),
    }
}

/// Runs every case, printing one line per failing case (all failing checks when `verbose`),
/// and returns the counts.
pub fn run_all(
    cases: &[Value],
    ex: &Exceptions,
    only: Option<&str>,
    verbose: bool,
    out: &mut dyn std::io::Write,
) -> Summary {
    let mut s = Summary::default();
    for case in cases {
        if let Some(f) = only {
            if !case["features"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|x| x.as_str() == Some(f))
            {
                continue;
            }
        }
        let id = case["id"].as_str().unwrap_or("?");
        let sub = case["subcase"]
            .as_str()
            .map(|x| format!(" [{x}]"))
            .unwrap_or_default();
        match run_case(case, ex) {
            Outcome::Pass => s.passed += 1,
            Outcome::Skip(reason) => {
                s.skipped_scope += 1;
                if verbose {
                    let _ = writeln!(out, "SKIP {id}{sub}: {reason}");
                }
            }
            Outcome::Fail(f) => {
                s.failed += 1;
                let first = &f[0];
                let more = if f.len() > 1 {
                    format!(" (+{} more)", f.len() - 1)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "FAIL {id}{sub}: {} — expected {}, got {}{more}",
                    first.check, first.expected, first.got
                );
                if verbose {
                    for x in &f[1..] {
                        let _ = writeln!(
                            out,
                            "     {}: expected {}, got {}",
                            x.check, x.expected, x.got
                        );
                    }
                }
            }
            Outcome::ExpectedFail(reason, f) => {
                s.listed += 1;
                if verbose {
                    let _ = writeln!(
                        out,
                        "XFAIL {id}{sub}: {reason} (first: {} — got {})",
                        f[0].check, f[0].got
                    );
                }
            }
            Outcome::UnexpectedPass(reason) => {
                s.failed += 1;
                let _ = writeln!(out, "UNEXPECTED PASS {id}{sub}: listed as \"{reason}\" — remove it from the exceptions");
            }
        }
    }
    s
}
