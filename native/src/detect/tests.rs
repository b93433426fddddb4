//! Tests of `observe`: the detectors strung together on one stream.
use super::*;

/// A seeded standard normal stream (xorshift64* and Box-Muller): no dependency,
/// and the same numbers on every platform.
pub(crate) struct Normal(u64);

impl Normal {
    pub(crate) fn new(seed: u64) -> Self {
        Normal(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    pub(crate) fn sample(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn run(values: &[f64], o: &Options) -> Vec<i32> {
    let mut s = [0.0; state::WIDTH];
    let mut row = [0.0; out::WIDTH];
    values
        .iter()
        .map(|&x| observe(&mut s, x, o, &mut row))
        .collect()
}

const ALARM: i32 = flag::SPIKE | CHANGE;

#[test]
fn warmup_then_armed() {
    let o = Options::default();
    let flags = run(&vec![1.0; 40], &o);
    assert!(flags[..30].iter().all(|&f| f == flag::WARMUP));
    assert!(flags[30..].iter().all(|&f| f == 0));
}

#[test]
fn nonfinite_values_are_flagged_and_leave_the_state_alone() {
    let o = Options::default();
    let mut s = [0.0; state::WIDTH];
    let mut row = [0.0; out::WIDTH];
    for x in [1.0, 2.0, 3.0] {
        observe(&mut s, x, &o, &mut row);
    }
    let before = s;
    for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(
            observe(&mut s, x, &o, &mut row),
            flag::NONFINITE | flag::WARMUP
        );
        assert!(row[out::Z].is_nan());
        assert_eq!(row[out::LEVEL], before[state::LEVEL]);
    }
    assert_eq!(s, before);
}

#[test]
fn a_spike_alarms_at_once_and_leaves_the_baseline_close() {
    let o = Options::default();
    let mut normal = Normal::new(1);
    let mut values: Vec<f64> = (0..500).map(|_| normal.sample()).collect();
    values[400] = 20.0;
    let flags = run(&values, &o);
    assert_eq!(flags[400] & ALARM, flag::SPIKE);
}

/// Observations after a shift of `d` sigma (at index 1000) until the first
/// shift/drift/spike alarm, or None.
fn delay(d: f64, seed: u64) -> Option<usize> {
    let mut normal = Normal::new(seed);
    let values: Vec<f64> = (0..1200)
        .map(|i| normal.sample() + if i >= 1000 { d } else { 0.0 })
        .collect();
    let flags = run(&values, &Options::default());
    if flags[..1000].iter().any(|&f| f & ALARM != 0) {
        return None; // a false alarm before the shift: not this test's business
    }
    flags[1000..]
        .iter()
        .position(|&f| f & ALARM != 0)
        .map(|p| p + 1)
}

#[test]
fn shifts_are_detected_within_the_documented_delay() {
    // docs/detectors.md: in 95% of trials, a shift of 5 sigma is detected within 5 observations,
    // 3 sigma within 8, 2 sigma within 16, 1 sigma within 70.
    for (d, bound) in [
        (5.0, 5),
        (3.0, 8),
        (-3.0, 8),
        (2.0, 16),
        (-2.0, 16),
        (1.0, 70),
    ] {
        let mut delays: Vec<usize> = (0..50).filter_map(|seed| delay(d, seed)).collect();
        delays.sort();
        assert!(
            delays.len() >= 45,
            "{d}: too many false alarms before the shift"
        );
        let p95 = delays[delays.len() * 95 / 100];
        assert!(
            p95 <= bound,
            "{d} sigma: 95th percentile delay {p95} > {bound}"
        );
    }
}

#[test]
fn stationary_noise_alarms_rarely() {
    // docs/detectors.md: at most 1 alarm per 20,000 observations of Gaussian noise.
    let o = Options::default();
    let mut normal = Normal::new(7);
    let values: Vec<f64> = (0..400_000).map(|_| normal.sample()).collect();
    let alarms = run(&values, &o).iter().filter(|&&f| f & ALARM != 0).count();
    assert!(alarms <= 20, "{alarms} alarms in 400,000 observations");
}

#[test]
fn option_vectors_are_checked_against_their_rules() {
    let mut v = opt::DEFAULTS;
    assert_eq!(invalid_option(&v), None);
    v[opt::ALPHA] = 1.5;
    assert_eq!(invalid_option(&v), Some(opt::ALPHA));
    v = opt::DEFAULTS;
    v[opt::MAX_RUNS] = 2.5;
    assert!(Options::from_vector(&v)
        .unwrap_err()
        .message
        .contains("max_runs"));
    v = opt::DEFAULTS;
    v[opt::MAX_SIGNALS] = MAX_STREAMS;
    assert_eq!(invalid_option(&v), Some(opt::MAX_SIGNALS));
    assert!(Options::from_vector(&v[..3]).is_err());
    assert_eq!(
        Options::from_vector(&Options::default().to_vector()),
        Ok(Options::default())
    );
}

#[test]
fn a_change_alarm_moves_the_level_to_the_new_regime() {
    let o = Options::default();
    let mut s = [0.0; state::WIDTH];
    let mut row = [0.0; out::WIDTH];
    let mut normal = Normal::new(3);
    for _ in 0..200 {
        observe(&mut s, normal.sample(), &o, &mut row);
    }
    let (count, spread) = (s[state::COUNT], s[state::SPREAD]);
    let mut t = 0;
    let alarm_value = loop {
        let x = 4.0 + normal.sample();
        t += 1;
        if observe(&mut s, x, &o, &mut row) & (flag::SHIFT_UP | flag::DRIFT_UP) != 0 {
            break x;
        }
        assert!(t < 10, "a 4 sigma shift alarms within 10 observations");
    };
    // The level jumped to the alarming value (learning it again leaves it there),
    // the change detectors start over, the count and (about) the scale are kept.
    assert_eq!(s[state::LEVEL], alarm_value);
    assert_eq!(
        [
            s[state::CUSUM_UP],
            s[state::CUSUM_DOWN],
            s[state::PH_UP],
            s[state::PH_DOWN]
        ],
        [0.0; 4]
    );
    assert_eq!((s[state::PH_COUNT], s[state::PH_MEAN]), (1.0, alarm_value));
    assert_eq!(s[state::COUNT], count + t as f64);
    assert!(s[state::SPREAD] > 0.5 * spread);
}
