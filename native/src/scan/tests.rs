use super::*;
use crate::layout::N_CANONICAL;

/// Builds a one-step batch holding the given canonical columns (others absent).
struct OneStep {
    values: Vec<f64>,
    groups: Vec<i32>,
    prompts: Vec<f64>,
    offsets: Vec<u32>,
    present: Vec<u8>,
}

impl OneStep {
    fn new(rows: usize, cols: &[(usize, Vec<f64>)], groups: Option<Vec<i32>>) -> Self {
        let mut values = vec![f64::NAN; N_CANONICAL * rows];
        let mut present = vec![0u8; N_CANONICAL + 2];
        for (c, v) in cols {
            assert_eq!(v.len(), rows);
            values[c * rows..(c + 1) * rows].copy_from_slice(v);
            present[*c] = 1;
        }
        let groups = match groups {
            Some(g) => {
                present[N_CANONICAL] = 1;
                g
            }
            None => vec![0; rows],
        };
        OneStep {
            values,
            groups,
            prompts: vec![f64::NAN; rows],
            offsets: vec![0, rows as u32],
            present,
        }
    }

    /// The same step with a prompt-id column.
    fn with_prompts(mut self, prompts: Vec<f64>) -> Self {
        assert_eq!(prompts.len(), self.groups.len());
        self.prompts = prompts;
        self.present[N_CANONICAL + 1] = 1;
        self
    }

    fn scan(&self) -> Vec<f64> {
        let batch = Batch {
            values: &self.values,
            groups: &self.groups,
            prompts: &self.prompts,
            offsets: &self.offsets,
            present: &self.present,
            columns: N_CANONICAL,
        };
        let mut out = vec![0.0; feature_count(N_CANONICAL)];
        scan_batch(&batch, &mut out).unwrap();
        out
    }
}

fn f(out: &[f64], c: usize, s: usize) -> f64 {
    out[column_feature(c, s)]
}

#[test]
fn column_stats_by_hand() {
    let out = OneStep::new(
        5,
        &[(col::LENGTH, vec![10.0, f64::NAN, 30.0, 20.0, f64::INFINITY])],
        None,
    )
    .scan();
    assert_eq!(out[step::ROWS], 5.0);
    assert_eq!(f(&out, col::LENGTH, stat::COUNT), 3.0);
    assert_eq!(f(&out, col::LENGTH, stat::NONFINITE), 2.0);
    assert_eq!(f(&out, col::LENGTH, stat::MEAN), 20.0);
    assert!((f(&out, col::LENGTH, stat::STD) - (200.0f64 / 3.0).sqrt()).abs() < 1e-12);
    assert_eq!(f(&out, col::LENGTH, stat::MIN), 10.0);
    assert_eq!(f(&out, col::LENGTH, stat::MAX), 30.0);
    assert_eq!(f(&out, col::LENGTH, stat::P10), 12.0);
    assert_eq!(f(&out, col::LENGTH, stat::P50), 20.0);
    assert_eq!(f(&out, col::LENGTH, stat::P90), 28.0);
    // Absent columns: counts are zero, the rest is NaN.
    assert_eq!(f(&out, col::REWARD, stat::COUNT), 0.0);
    assert!(f(&out, col::REWARD, stat::MEAN).is_nan());
    assert!(out[step::GROUP_COUNT].is_nan());
}

#[test]
fn group_features_by_hand() {
    // Groups 7 (rewards 1,1), 3 (1,0,0,1), 5 (0): rows deliberately unsorted.
    let reward = vec![1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0];
    let groups = vec![3, 7, 3, 7, 5, 3, 3];
    let adv = vec![1.0, 0.0, -1.0, 0.0, 0.0, -1.0, 1.0];
    let out = OneStep::new(
        7,
        &[(col::REWARD, reward), (col::ADVANTAGE, adv)],
        Some(groups),
    )
    .scan();
    assert_eq!(out[step::GROUP_COUNT], 3.0);
    assert!((out[step::GROUP_SIZE_MEAN] - 7.0 / 3.0).abs() < 1e-15);
    assert_eq!(out[step::GROUP_SIZE_MIN], 1.0);
    assert_eq!(out[step::GROUP_SIZE_MAX], 4.0);
    // Of the two groups with >= 2 rows, group 7 has constant reward.
    assert_eq!(out[step::GROUP_ZERO_VAR_SHARE], 0.5);
    // Group means 0.5 (id 3), 0 (id 5), 1 (id 7): population std sqrt(1/6).
    assert!((out[step::GROUP_REWARD_MEAN_STD] - (1.0f64 / 6.0).sqrt()).abs() < 1e-15);
    // Within-group stds 0.5, 0, 0.
    assert!((out[step::GROUP_REWARD_STD_MEAN] - 0.5 / 3.0).abs() < 1e-15);
    assert_eq!(out[step::GROUP_ADV_CENTER_ABS_MAX], 0.0);
    // Advantage stds of groups with >= 2 rows: 1 (id 3) and 0 (id 7).
    assert_eq!(out[step::GROUP_ADV_SCALE_MEAN], 0.5);
    assert_eq!(out[step::GROUP_ADV_SCALE_MAX], 1.0);
    assert!(
        (out[step::CORR_ADVANTAGE_REWARD]
            - correlation(
                &[1.0, 0.0, -1.0, 0.0, 0.0, -1.0, 1.0],
                &[1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0]
            ))
        .abs()
            < 1e-15
    );
}

#[test]
fn rates_by_hand() {
    let out = OneStep::new(
        4,
        &[
            (col::TRUNCATED, vec![1.0, 0.0, 0.0, f64::NAN]),
            (col::FORMAT_OK, vec![1.0, 1.0, 1.0, 0.0]),
            (col::TOOL_CALLS, vec![2.0, 0.0, 1.0, 1.0]),
            (col::TOOL_ERRORS, vec![1.0, 0.0, 0.0, f64::NAN]),
        ],
        None,
    )
    .scan();
    assert!((out[step::RATE_TRUNCATION] - 1.0 / 3.0).abs() < 1e-15);
    assert_eq!(out[step::RATE_FORMAT], 0.75);
    assert!((out[step::RATE_TOOL_ERROR] - 1.0 / 3.0).abs() < 1e-15);
}

#[test]
fn empty_step_and_multi_step_batches() {
    // Two steps: an empty one, then one with two rows; one column present in each.
    let c = N_CANONICAL;
    let mut values = vec![f64::NAN; c * 2];
    values[col::REWARD * 2] = 1.0;
    values[col::REWARD * 2 + 1] = 3.0;
    let mut present = vec![0u8; 2 * (c + 2)];
    present[col::REWARD] = 1;
    present[c + 2 + col::REWARD] = 1;
    present[c + 2 + c] = 1;
    let batch = Batch {
        values: &values,
        groups: &[4, 4],
        prompts: &[f64::NAN; 2],
        offsets: &[0, 0, 2],
        present: &present,
        columns: c,
    };
    let width = feature_count(c);
    let mut out = vec![0.0; 2 * width];
    scan_batch(&batch, &mut out).unwrap();
    assert_eq!(out[step::ROWS], 0.0);
    assert_eq!(out[column_feature(col::REWARD, stat::COUNT)], 0.0);
    assert!(out[column_feature(col::REWARD, stat::MEAN)].is_nan());
    let second = &out[width..];
    assert_eq!(second[column_feature(col::REWARD, stat::MEAN)], 2.0);
    assert_eq!(second[step::GROUP_COUNT], 1.0);
    assert_eq!(second[step::GROUP_ZERO_VAR_SHARE], 0.0);
}

#[test]
fn shape_errors_are_reported() {
    let c = N_CANONICAL;
    let values = vec![0.0; c * 2];
    let present = vec![1u8; c + 2];
    let mut out = vec![0.0; feature_count(c)];
    let bad_offsets = Batch {
        values: &values,
        groups: &[0, 0],
        prompts: &[1.0, 1.0],
        offsets: &[0, 3],
        present: &present,
        columns: c,
    };
    assert!(scan_batch(&bad_offsets, &mut out)
        .unwrap_err()
        .message
        .contains("offsets"));
    let bad_values = Batch {
        values: &values[1..],
        groups: &[0, 0],
        prompts: &[1.0, 1.0],
        offsets: &[0, 2],
        present: &present,
        columns: c,
    };
    assert!(scan_batch(&bad_values, &mut out)
        .unwrap_err()
        .message
        .contains("values"));
    let ok = Batch {
        values: &values,
        groups: &[0, 0],
        prompts: &[1.0, 1.0],
        offsets: &[0, 2],
        present: &present,
        columns: c,
    };
    assert!(scan_batch(&ok, &mut out[1..])
        .unwrap_err()
        .message
        .contains("out"));
    let short_prompts = Batch {
        prompts: &[1.0],
        ..ok
    };
    assert!(scan_batch(&short_prompts, &mut out)
        .unwrap_err()
        .message
        .contains("prompts"));
}

#[test]
fn prompt_mismatch_by_hand() {
    // Groups 3 (prompts 10,10,11: mixed), 5 (12), 7 (13, unknown): rows unsorted.
    let groups = vec![3, 7, 3, 5, 7, 3];
    let prompts = vec![10.0, 13.0, 10.0, 12.0, f64::NAN, 11.0];
    let out = OneStep::new(6, &[], Some(groups.clone()))
        .with_prompts(prompts)
        .scan();
    // Groups 3 and 5 have every prompt id; group 3 mixes two.
    assert_eq!(out[step::GROUP_PROMPT_MISMATCH_SHARE], 0.5);
    // One prompt per group: 0.
    let healthy = OneStep::new(6, &[], Some(groups.clone()))
        .with_prompts(vec![1.0, 2.0, 1.0, 3.0, 2.0, 1.0])
        .scan();
    assert_eq!(healthy[step::GROUP_PROMPT_MISMATCH_SHARE], 0.0);
    // Ids beyond 2^31 are compared exactly.
    let big = 2f64.powi(40);
    let wide = OneStep::new(2, &[], Some(vec![1, 1]))
        .with_prompts(vec![big, big + 1.0])
        .scan();
    assert_eq!(wide[step::GROUP_PROMPT_MISMATCH_SHARE], 1.0);
    // No prompt-id column, or no group whose ids are all known: NaN.
    let absent = OneStep::new(6, &[], Some(groups)).scan();
    assert!(absent[step::GROUP_PROMPT_MISMATCH_SHARE].is_nan());
    let unknown = OneStep::new(2, &[], Some(vec![1, 1]))
        .with_prompts(vec![f64::NAN, 4.0])
        .scan();
    assert!(unknown[step::GROUP_PROMPT_MISMATCH_SHARE].is_nan());
    // Without group ids there are no groups to judge.
    let ungrouped = OneStep::new(2, &[], None)
        .with_prompts(vec![1.0, 2.0])
        .scan();
    assert!(ungrouped[step::GROUP_PROMPT_MISMATCH_SHARE].is_nan());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn naive_quantile(sorted: &[f64], p: f64) -> f64 {
        let h = (sorted.len() - 1) as f64 * p;
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(sorted.len() - 1);
        sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            8 => -1e6f64..1e6,
            1 => Just(f64::NAN),
            1 => Just(f64::INFINITY),
            1 => (-3i32..3).prop_map(f64::from),
        ]
    }

    proptest! {
        #[test]
        fn column_stats_match_a_sort(values in prop::collection::vec(value(), 0..200)) {
            let rows = values.len();
            let out = OneStep::new(rows, &[(col::REPETITION, values.clone())], None).scan();
            let mut finite: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
            finite.sort_by(f64::total_cmp);
            let got = |s| f(&out, col::REPETITION, s);
            prop_assert_eq!(got(stat::COUNT), finite.len() as f64);
            if finite.is_empty() {
                prop_assert!(got(stat::MEAN).is_nan());
                return Ok(());
            }
            let n = finite.len() as f64;
            let mean = finite.iter().sum::<f64>() / n;
            let var = finite.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
            let scale = finite.iter().fold(1.0f64, |m, x| m.max(x.abs()));
            prop_assert!((got(stat::MEAN) - mean).abs() <= 1e-9 * scale);
            prop_assert!((got(stat::STD) - var.sqrt()).abs() <= 1e-9 * scale);
            prop_assert_eq!(got(stat::MIN), finite[0]);
            prop_assert_eq!(got(stat::MAX), *finite.last().unwrap());
            for (s, p) in [(stat::P10, 0.1), (stat::P50, 0.5), (stat::P90, 0.9)] {
                prop_assert!((got(s) - naive_quantile(&finite, p)).abs() <= 1e-12 * scale);
            }
        }
    }
}
