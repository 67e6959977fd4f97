//! The guest test protocol (tests/guest/lib.sh): one KTAP result line per case on stdout,
//! inside the test file's subtest, so indented one level:
//!
//! ```text
//!     ok 7 case
//!     not ok 8 case # why
//!     ok 9 case # SKIP why
//! ```
//!
//! Cases are numbered through the file `$KTAP_STATE` ("<cases> <failed> <skipped>" of the
//! current test file so far), which the shell's reports update too, so one test file's cases
//! keep one count whoever reports them.

use std::fmt::Display;
use std::path::PathBuf;

/// Where the count lives when `KTAP_STATE` is not set (as in tests/guest/lib.sh).
const DEFAULT_STATE: &str = "/tmp/ktap-state";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Pass,
    Fail,
    Skip,
}

/// The counts kept in the state file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    cases: u64,
    failed: u64,
    skipped: u64,
}

impl Counts {
    /// Parses "<cases> <failed> <skipped>"; anything else counts as nothing reported yet.
    fn parse(text: &str) -> Self {
        let mut n = text.split_whitespace().map(str::parse::<u64>);
        match (n.next(), n.next(), n.next()) {
            (Some(Ok(cases)), Some(Ok(failed)), Some(Ok(skipped))) => Counts {
                cases,
                failed,
                skipped,
            },
            _ => Counts::default(),
        }
    }

    /// The counts after one more case with `outcome`.
    fn add(self, outcome: Outcome) -> Self {
        Counts {
            cases: self.cases + 1,
            failed: self.failed + u64::from(outcome == Outcome::Fail),
            skipped: self.skipped + u64::from(outcome == Outcome::Skip),
        }
    }
}

/// The KTAP result line of case number `n` (a `#` in the case would start a directive, and
/// a reason is one line).
fn result_line(n: u64, outcome: Outcome, case: &str, why: &str) -> String {
    let case = case.replace('#', "_").replace('\n', " ");
    let why = why.replace('\n', " ");
    match outcome {
        Outcome::Pass => format!("    ok {n} {case}"),
        Outcome::Fail => format!("    not ok {n} {case} # {why}"),
        Outcome::Skip => format!("    ok {n} {case} # SKIP {why}"),
    }
}

/// Replaces the state file's content. An existing file is opened without `O_CREAT`: some
/// cases report after dropping root, and in a sticky directory such as /tmp
/// (`fs.protected_regular`) `O_CREAT` on another user's file is refused even when the file
/// itself is writable (run-all.sh makes it so).
fn write_state(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    match std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
    {
        Ok(mut f) => f.write_all(text.as_bytes()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::write(path, text),
        Err(e) => Err(e),
    }
}

/// Collects case results and prints them as they come.
#[derive(Debug)]
pub(crate) struct Report {
    state: PathBuf,
    failures: usize,
}

impl Report {
    pub(crate) fn new() -> Self {
        Report {
            state: std::env::var_os("KTAP_STATE")
                .map_or_else(|| PathBuf::from(DEFAULT_STATE), PathBuf::from),
            failures: 0,
        }
    }

    /// Numbers the case through the state file and prints its line. A state file that can't
    /// be read starts the count afresh; one that can't be written leaves the next case with
    /// the same number, which the host's KTAP check reports.
    fn emit(&mut self, outcome: Outcome, case: &str, why: &str) {
        let counts = std::fs::read_to_string(&self.state)
            .map(|t| Counts::parse(&t))
            .unwrap_or_default()
            .add(outcome);
        let text = format!("{} {} {}\n", counts.cases, counts.failed, counts.skipped);
        if let Err(e) = write_state(&self.state, &text) {
            eprintln!("kbridge-test: {}: {e}", self.state.display());
        }
        println!("{}", result_line(counts.cases, outcome, case, why));
    }

    pub(crate) fn pass(&mut self, case: &str) {
        self.emit(Outcome::Pass, case, "");
    }

    pub(crate) fn fail(&mut self, case: &str, why: impl Display) {
        self.failures += 1;
        self.emit(Outcome::Fail, case, &why.to_string());
    }

    /// A case that cannot run here; `why` says what is missing.
    #[allow(dead_code)] // Not every area has cases that can be impossible.
    pub(crate) fn skip(&mut self, case: &str, why: impl Display) {
        self.emit(Outcome::Skip, case, &why.to_string());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_ktap_results() {
        assert_eq!(result_line(1, Outcome::Pass, "a", ""), "    ok 1 a");
        assert_eq!(
            result_line(2, Outcome::Fail, "b#c", "one\ntwo"),
            "    not ok 2 b_c # one two"
        );
        assert_eq!(
            result_line(3, Outcome::Skip, "d", "no debugfs"),
            "    ok 3 d # SKIP no debugfs"
        );
    }

    #[test]
    fn counts_continue_from_the_state_file() {
        let c = Counts::parse("4 1 0\n");
        assert_eq!(
            c,
            Counts {
                cases: 4,
                failed: 1,
                skipped: 0
            }
        );
        assert_eq!(
            c.add(Outcome::Skip).add(Outcome::Fail),
            Counts {
                cases: 6,
                failed: 2,
                skipped: 1
            }
        );
        assert_eq!(Counts::parse(""), Counts::default());
        assert_eq!(Counts::parse("x 1 2"), Counts::default());
    }

    #[test]
    fn reports_share_one_count() {
        let state = std::env::temp_dir().join(format!("ktap-state-{}", std::process::id()));
        std::fs::write(&state, "2 0 0\n").unwrap();
        let mut a = Report {
            state: state.clone(),
            failures: 0,
        };
        a.pass("x");
        a.fail("y", "why");
        let mut b = Report {
            state: state.clone(),
            failures: 0,
        };
        b.skip("z", "why");
        assert_eq!(std::fs::read_to_string(&state).unwrap(), "5 1 1\n");
        assert!(a.failed() && !b.failed());
        std::fs::remove_file(&state).unwrap();
    }
}
