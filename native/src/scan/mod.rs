//! The trajectory scanner: one pass over each step's trajectory tensor yields
//! the step's summary features (layout in `crate::layout`, definitions in
//! `docs/kernels.md`).
//!
//! A batch holds many steps in one set of flat buffers so that a single call
//! crosses the JS boundary for all of them:
//! - `values`: `columns` x `rows` f64, column-major: column `c` of the whole
//!   batch is `values[c * rows .. (c + 1) * rows]`;
//! - `groups`: `rows` i32 group ids;
//! - `prompts`: `rows` f64 prompt ids (whole numbers; NaN: unknown for that row);
//! - `offsets`: `steps + 1` row offsets; step `s` owns rows `offsets[s]..offsets[s + 1]`;
//! - `present`: `steps` x (`columns` + 2) flags; slot `columns` is the group
//!   column, slot `columns + 1` the prompt-id column.

mod groups;
pub mod moments;
pub mod quantile;

use crate::error::KernelError;
use crate::layout::{col, column_feature, feature_count, stat, step, N_CANONICAL, N_STATS};
use groups::{group_features, GroupScratch};
use moments::{correlation, mean_std};

/// Quantiles reported per column, matching `stat::P10`, `P50`, `P90`.
const QUANTILES: [f64; 3] = [0.1, 0.5, 0.9];

/// A borrowed batch of step tensors (see the module docs for the layout).
pub struct Batch<'a> {
    pub values: &'a [f64],
    pub groups: &'a [i32],
    pub prompts: &'a [f64],
    pub offsets: &'a [u32],
    pub present: &'a [u8],
    pub columns: usize,
}

/// Flags per step in `present`: the value columns, the group column, the prompt-id column.
fn slots(columns: usize) -> usize {
    columns + 2
}

impl<'a> Batch<'a> {
    pub fn steps(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    fn rows(&self) -> usize {
        self.groups.len()
    }

    /// Checks that the buffers describe one consistent batch.
    pub fn validate(&self) -> Result<(), KernelError> {
        let err = |m: String| Err(KernelError::scan_shape(m));
        if self.columns < N_CANONICAL {
            return err(format!(
                "columns is {}, at least the {N_CANONICAL} canonical columns are required",
                self.columns
            ));
        }
        if self.offsets.is_empty() {
            return err("offsets is empty; it needs steps + 1 entries".into());
        }
        let rows = self.rows();
        if self.values.len() != self.columns * rows {
            return err(format!(
                "values has {} entries, expected columns ({}) x rows ({rows})",
                self.values.len(),
                self.columns
            ));
        }
        if self.prompts.len() != rows {
            return err(format!(
                "prompts has {} entries, expected rows ({rows})",
                self.prompts.len()
            ));
        }
        if self.offsets[0] != 0 || *self.offsets.last().unwrap() as usize != rows {
            return err(format!("offsets must run from 0 to rows ({rows})"));
        }
        if let Some(i) = self.offsets.windows(2).position(|w| w[0] > w[1]) {
            return err(format!("offsets decrease at step {i}"));
        }
        let want = self.steps() * slots(self.columns);
        if self.present.len() != want {
            return err(format!(
                "present has {} entries, expected steps x (columns + 2) = {want}",
                self.present.len()
            ));
        }
        Ok(())
    }

    fn column(&self, s: usize, c: usize) -> Option<&'a [f64]> {
        if self.present[s * slots(self.columns) + c] == 0 {
            return None;
        }
        let (lo, hi) = (self.offsets[s] as usize, self.offsets[s + 1] as usize);
        let base = c * self.rows();
        Some(&self.values[base + lo..base + hi])
    }

    fn group_ids(&self, s: usize) -> Option<&'a [i32]> {
        if self.present[s * slots(self.columns) + self.columns] == 0 {
            return None;
        }
        Some(&self.groups[self.offsets[s] as usize..self.offsets[s + 1] as usize])
    }

    fn prompt_ids(&self, s: usize) -> Option<&'a [f64]> {
        if self.present[s * slots(self.columns) + self.columns + 1] == 0 {
            return None;
        }
        Some(&self.prompts[self.offsets[s] as usize..self.offsets[s + 1] as usize])
    }
}

#[derive(Default)]
struct Scratch {
    finite: Vec<f64>,
    keys: Vec<i64>,
    groups: GroupScratch,
}

/// Scans every step of `batch`, writing `feature_count(batch.columns)` features
/// per step into `out` (steps x features, row-major). Features that cannot be
/// computed (absent column, no finite value) are NaN.
pub fn scan_batch(batch: &Batch, out: &mut [f64]) -> Result<(), KernelError> {
    batch.validate()?;
    let width = feature_count(batch.columns);
    if out.len() != batch.steps() * width {
        return Err(KernelError::scan_shape(format!(
            "out has {} entries, expected steps ({}) x features ({width})",
            out.len(),
            batch.steps()
        )));
    }
    let mut scratch = Scratch::default();
    for (s, row) in out.chunks_exact_mut(width).enumerate() {
        scan_step(batch, s, row, &mut scratch);
    }
    Ok(())
}

fn scan_step(batch: &Batch, s: usize, out: &mut [f64], scratch: &mut Scratch) {
    out.fill(f64::NAN);
    out[step::ROWS] = (batch.offsets[s + 1] - batch.offsets[s]) as f64;
    for c in 0..batch.columns {
        let block = &mut out[column_feature(c, 0)..column_feature(c, N_STATS)];
        match batch.column(s, c) {
            Some(values) => column_stats(values, block, &mut scratch.finite, &mut scratch.keys),
            None => {
                block[stat::COUNT] = 0.0;
                block[stat::NONFINITE] = 0.0;
            }
        }
    }
    let column = |c| batch.column(s, c);
    if let Some(groups) = batch.group_ids(s) {
        group_features(
            groups,
            batch.prompt_ids(s),
            column(col::REWARD),
            column(col::ADVANTAGE),
            out,
            &mut scratch.groups,
        );
    }
    let corr = |a, b| match (column(a), column(b)) {
        (Some(x), Some(y)) => correlation(x, y),
        _ => f64::NAN,
    };
    out[step::CORR_REWARD_LENGTH] = corr(col::REWARD, col::LENGTH);
    out[step::CORR_REWARD_CORRECT] = corr(col::REWARD, col::CORRECT);
    out[step::CORR_ADVANTAGE_REWARD] = corr(col::ADVANTAGE, col::REWARD);
    out[step::RATE_TRUNCATION] = column(col::TRUNCATED).map_or(f64::NAN, nonzero_share);
    out[step::RATE_FORMAT] = column(col::FORMAT_OK).map_or(f64::NAN, nonzero_share);
    out[step::RATE_TOOL_ERROR] = match (column(col::TOOL_CALLS), column(col::TOOL_ERRORS)) {
        (Some(calls), Some(errors)) => tool_error_rate(calls, errors),
        _ => f64::NAN,
    };
    out[step::TRUNC_REWARD_GAP] = match (column(col::REWARD), column(col::TRUNCATED)) {
        (Some(reward), Some(truncated)) => truncation_reward_gap(reward, truncated),
        _ => f64::NAN,
    };
}

/// Mean reward of the rollouts that ended on their own minus that of the
/// truncated ones (rows where both values are finite; a nonzero flag is
/// truncated): how much the length cap costs, when it binds. NaN unless both
/// kinds of rollout are there.
fn truncation_reward_gap(reward: &[f64], truncated: &[f64]) -> f64 {
    let (mut kept, mut kept_n, mut cut, mut cut_n) = (0.0, 0usize, 0.0, 0usize);
    for (&r, &t) in reward.iter().zip(truncated) {
        if r.is_finite() && t.is_finite() {
            if t != 0.0 {
                cut += r;
                cut_n += 1;
            } else {
                kept += r;
                kept_n += 1;
            }
        }
    }
    if kept_n == 0 || cut_n == 0 {
        return f64::NAN;
    }
    kept / kept_n as f64 - cut / cut_n as f64
}

/// count, nonfinite, mean, std, min, max and quantiles of one column of one step.
fn column_stats(values: &[f64], out: &mut [f64], finite: &mut Vec<f64>, keys: &mut Vec<i64>) {
    // Sized up front and filled by index: a `push` in this loop would make the
    // compiler keep `lo`/`hi` in memory around the possible reallocation.
    finite.clear();
    finite.resize(values.len(), 0.0);
    let (mut n, mut lo, mut hi) = (0usize, f64::INFINITY, f64::NEG_INFINITY);
    for &x in values {
        if x.is_finite() {
            // + 0.0 turns -0.0 into 0.0, which `order_key` needs.
            let x = x + 0.0;
            if x < lo {
                lo = x;
            }
            if x > hi {
                hi = x;
            }
            finite[n] = x;
            n += 1;
        }
    }
    finite.truncate(n);
    out[stat::COUNT] = n as f64;
    out[stat::NONFINITE] = (values.len() - n) as f64;
    if n == 0 {
        return;
    }
    let (mean, std) = mean_std(finite, lo.abs().max(hi.abs()));
    out[stat::MEAN] = mean;
    out[stat::STD] = std;
    out[stat::MIN] = lo;
    out[stat::MAX] = hi;
    keys.clear();
    keys.extend(finite.iter().map(|&x| quantile::order_key(x)));
    quantile::quantiles(keys, &QUANTILES, &mut out[stat::P10..=stat::P90]);
}

/// Share of finite values that are not zero (a 0/1 flag column's rate).
fn nonzero_share(values: &[f64]) -> f64 {
    let (mut finite, mut nonzero) = (0usize, 0usize);
    for &x in values {
        if x.is_finite() {
            finite += 1;
            if x != 0.0 {
                nonzero += 1;
            }
        }
    }
    if finite == 0 {
        f64::NAN
    } else {
        nonzero as f64 / finite as f64
    }
}

/// Failed tool calls over tool calls, over rows where both counts are finite.
fn tool_error_rate(calls: &[f64], errors: &[f64]) -> f64 {
    let (mut c, mut e) = (0.0, 0.0);
    for (&a, &b) in calls.iter().zip(errors) {
        if a.is_finite() && b.is_finite() {
            c += a;
            e += b;
        }
    }
    if c > 0.0 {
        e / c
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests;
