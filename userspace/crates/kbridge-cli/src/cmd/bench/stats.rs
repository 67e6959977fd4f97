//! Summaries of a series: the median and its 95 % confidence interval from order statistics.
//!
//! The interval is distribution-free: for `n` samples, the ranks `n/2 ∓ 1.96·√n/2` (rounded
//! outwards) bracket the true median with at least 95 % probability (the normal
//! approximation to the binomial, Conover, *Practical Nonparametric Statistics*, 3.2). It
//! needs no assumption about the shape of the distribution, which for system-call latencies
//! is skewed with a long right tail.

use serde::Serialize;

/// Median and 95 % interval of a series, in the series' unit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub(crate) struct Summary {
    pub(crate) n: usize,
    pub(crate) median: f64,
    pub(crate) ci_low: f64,
    pub(crate) ci_high: f64,
}

/// 1-based ranks of the 95 % interval of the median of `n` sorted samples.
pub(crate) fn median_ci_ranks(n: usize) -> (usize, usize) {
    if n == 0 {
        return (0, 0);
    }
    let half = n as f64 / 2.0;
    let w = 1.96 * (n as f64).sqrt() / 2.0;
    let lo = ((half - w).floor() as usize).clamp(1, n);
    let hi = ((half + 1.0 + w).ceil() as usize).clamp(1, n);
    (lo, hi)
}

/// Sorts `samples` and summarises them.
pub(crate) fn summarize(samples: &mut [f64]) -> Summary {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    let at = |rank: usize| samples.get(rank.saturating_sub(1)).copied().unwrap_or(0.0);
    let median = if n == 0 {
        0.0
    } else if n % 2 == 1 {
        at(n / 2 + 1)
    } else {
        (at(n / 2) + at(n / 2 + 1)) / 2.0
    };
    let (lo, hi) = median_ci_ranks(n);
    Summary {
        n,
        median,
        ci_low: at(lo),
        ci_high: at(hi),
    }
}

/// Nearest-rank percentile (`pct` in 1..=100) of sorted samples.
pub(crate) fn percentile(sorted: &[u64], pct: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (sorted.len() * pct).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_interval() {
        let mut s: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let m = summarize(&mut s);
        assert_eq!(m.median, 50.5);
        // n = 100: ranks 50 - 9.8 -> 40 and 51 + 9.8 -> 61.
        assert_eq!(median_ci_ranks(100), (40, 61));
        assert_eq!((m.ci_low, m.ci_high), (40.0, 61.0));
        let m = summarize(&mut [3.0, 1.0, 2.0]);
        assert_eq!((m.median, m.n), (2.0, 3));
        assert!(m.ci_low <= m.median && m.median <= m.ci_high);
        assert_eq!(summarize(&mut []).median, 0.0);
    }

    #[test]
    fn interval_narrows_with_n() {
        let (a, b) = median_ci_ranks(200);
        let (c, d) = median_ci_ranks(1000);
        assert!((b - a) as f64 / 200.0 > (d - c) as f64 / 1000.0);
        assert!(a >= 1 && b <= 200 && c >= 1 && d <= 1000);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let s: Vec<u64> = (1..=100).collect();
        assert_eq!((percentile(&s, 50), percentile(&s, 99)), (50, 99));
        assert_eq!(percentile(&[7], 99), 7);
        assert_eq!(percentile(&[], 50), 0);
    }
}
