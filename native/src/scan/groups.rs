//! Per-group statistics of one step (GRPO groups: the samples of one prompt),
//! summarised into the step-level `group.*` features.
//!
//! Groups are visited in ascending id order, rows of a group in row order, so the
//! result does not depend on how the trainer laid the rows out; the AssemblyScript
//! kernel visits them in the same order.

use super::moments::{max_abs, mean_std};
use crate::layout::step;

/// Scratch buffers reused across steps so a batch allocates once.
#[derive(Default)]
pub struct GroupScratch {
    order: Vec<u32>,
    values: Vec<f64>,
    reward_means: Vec<f64>,
    reward_stds: Vec<f64>,
    adv_centers: Vec<f64>,
    adv_scales: Vec<f64>,
}

/// Finite values of `column` at `rows`, collected into `into`; returns the
/// (min, max) of them.
fn collect_finite(column: &[f64], rows: &[u32], into: &mut Vec<f64>) -> (f64, f64) {
    into.clear();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &r in rows {
        let x = column[r as usize];
        if x.is_finite() {
            into.push(x);
            lo = lo.min(x);
            hi = hi.max(x);
        }
    }
    (lo, hi)
}

fn mean_of(values: &[f64]) -> f64 {
    mean_std(values, max_abs(values)).0
}

fn max_of(values: &[f64]) -> f64 {
    values
        .iter()
        .copied()
        .fold(f64::NAN, |m, x| if m.is_nan() || x > m { x } else { m })
}

/// Whether every row of a group has a known prompt id, and if so whether they
/// are not all the same one: (known, mixed). Ids are whole numbers carried as
/// f64 (exact up to 2^53); a non-finite id is unknown.
fn prompt_mix(prompts: &[f64], rows: &[u32]) -> (bool, bool) {
    let first = prompts[rows[0] as usize];
    let mut mixed = false;
    for &r in rows {
        let p = prompts[r as usize];
        if !p.is_finite() {
            return (false, false);
        }
        mixed |= p != first;
    }
    (true, mixed)
}

/// Writes the `group.*` features of one step into `out` (a full output row).
/// `groups` holds the step's group ids; `prompts` its prompt ids, `reward` and
/// `advantage` its columns, when present.
pub fn group_features(
    groups: &[i32],
    prompts: Option<&[f64]>,
    reward: Option<&[f64]>,
    advantage: Option<&[f64]>,
    out: &mut [f64],
    s: &mut GroupScratch,
) {
    let b = groups.len();
    out[step::GROUP_COUNT] = 0.0;
    if b == 0 {
        return;
    }
    s.order.clear();
    s.order.extend(0..b as u32);
    if !groups.windows(2).all(|w| w[0] <= w[1]) {
        // Stable: rows of one group stay in row order.
        s.order.sort_by_key(|&r| groups[r as usize]);
    }
    s.reward_means.clear();
    s.reward_stds.clear();
    s.adv_centers.clear();
    s.adv_scales.clear();
    let (mut count, mut size_min, mut size_max) = (0usize, usize::MAX, 0usize);
    let (mut zero_var, mut multi) = (0usize, 0usize);
    let (mut known, mut mixed) = (0usize, 0usize);

    let mut start = 0;
    while start < b {
        let id = groups[s.order[start] as usize];
        let mut end = start + 1;
        while end < b && groups[s.order[end] as usize] == id {
            end += 1;
        }
        let rows = &s.order[start..end];
        let size = rows.len();
        count += 1;
        size_min = size_min.min(size);
        size_max = size_max.max(size);
        if size >= 2 {
            multi += 1;
        }
        if let Some(prompts) = prompts {
            let (k, m) = prompt_mix(prompts, rows);
            known += k as usize;
            mixed += m as usize;
        }
        if let Some(reward) = reward {
            let (lo, hi) = collect_finite(reward, rows, &mut s.values);
            if !s.values.is_empty() {
                let (m, sd) = mean_std(&s.values, lo.abs().max(hi.abs()));
                s.reward_means.push(m);
                s.reward_stds.push(sd);
            }
            if size >= 2 && s.values.len() == size && lo == hi {
                zero_var += 1;
            }
        }
        if let Some(advantage) = advantage {
            let (lo, hi) = collect_finite(advantage, rows, &mut s.values);
            if !s.values.is_empty() {
                let (m, sd) = mean_std(&s.values, lo.abs().max(hi.abs()));
                s.adv_centers.push(m.abs());
                if s.values.len() >= 2 {
                    s.adv_scales.push(sd);
                }
            }
        }
        start = end;
    }

    out[step::GROUP_COUNT] = count as f64;
    out[step::GROUP_SIZE_MEAN] = b as f64 / count as f64;
    out[step::GROUP_SIZE_MIN] = size_min as f64;
    out[step::GROUP_SIZE_MAX] = size_max as f64;
    if prompts.is_some() && known > 0 {
        out[step::GROUP_PROMPT_MISMATCH_SHARE] = mixed as f64 / known as f64;
    }
    if reward.is_some() {
        out[step::GROUP_REWARD_MEAN_STD] = mean_std(&s.reward_means, max_abs(&s.reward_means)).1;
        out[step::GROUP_REWARD_STD_MEAN] = mean_of(&s.reward_stds);
        if multi > 0 {
            out[step::GROUP_ZERO_VAR_SHARE] = zero_var as f64 / multi as f64;
        }
    }
    if advantage.is_some() {
        out[step::GROUP_ADV_CENTER_ABS_MEAN] = mean_of(&s.adv_centers);
        out[step::GROUP_ADV_CENTER_ABS_MAX] = max_of(&s.adv_centers);
        out[step::GROUP_ADV_SCALE_MEAN] = mean_of(&s.adv_scales);
        out[step::GROUP_ADV_SCALE_MAX] = max_of(&s.adv_scales);
    }
}
