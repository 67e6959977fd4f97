//! The guest test protocol: one `KTEST` line per case on stdout.

use std::fmt::Display;

/// Collects case results and prints them as they come.
#[derive(Debug)]
pub(crate) struct Report {
    file: String,
    failures: usize,
}

impl Report {
    pub(crate) fn new() -> Self {
        Report {
            file: std::env::var("KTEST_FILE").unwrap_or_else(|_| "kbridge-test".to_owned()),
            failures: 0,
        }
    }

    pub(crate) fn pass(&mut self, case: &str) {
        println!("KTEST PASS {}/{case}", self.file);
    }

    pub(crate) fn fail(&mut self, case: &str, why: impl Display) {
        self.failures += 1;
        println!("KTEST FAIL {}/{case}: {why}", self.file);
    }

    /// A case that cannot run here; `why` says what is missing.
    #[allow(dead_code)] // Not every area has cases that can be impossible.
    pub(crate) fn skip(&mut self, case: &str, why: impl Display) {
        println!("KTEST SKIP {}/{case}: {why}", self.file);
    }

    /// Passes `case` if `result` is `Ok`, else fails it with the error.
    pub(crate) fn check<E: Display>(&mut self, case: &str, result: Result<(), E>) {
        match result {
            Ok(()) => self.pass(case),
            Err(e) => self.fail(case, e),
        }
    }

    pub(crate) fn failed(&self) -> bool {
        self.failures > 0
    }
}
