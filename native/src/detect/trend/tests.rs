use super::*;

/// Feeds a series to one stream of `code`; returns every observation's flags.
fn run(values: &[f64], code: i32, trials: f64) -> Vec<i32> {
    let mut s = vec![0.0; state::WIDTH];
    let mut row = vec![0.0; out::WIDTH];
    values
        .iter()
        .map(|&x| step(&mut s, x, code, trials, &mut row))
        .collect()
}

fn alarms(flags: &[i32]) -> usize {
    flags.iter().filter(|&&f| f & flag::ALARM != 0).count()
}

/// A small deterministic generator (xorshift), uniform in [0, 1).
fn uniform(seed: &mut u64) -> f64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    (*seed >> 11) as f64 / (1u64 << 53) as f64
}

const BOTH: i32 = MAY_RISE | MAY_FALL;

#[test]
fn ln_is_within_an_ulp_or_two_of_libm() {
    for &x in &[
        1e-310, 1e-300, 1e-9, 0.001, 0.5, 0.7, 1.0, 1.5, 2.0, 10.0, 12345.678, 1e300,
    ] {
        let (a, b) = (ln(x), x.ln());
        assert!(
            (a - b).abs() <= 4.0 * f64::EPSILON * b.abs().max(1e-300),
            "{x}: {a} vs {b}"
        );
    }
    assert_eq!(ln(1.0), 0.0);
    assert!(ln(-1.0).is_nan() && ln(f64::NAN).is_nan());
    assert_eq!(ln(0.0), f64::NEG_INFINITY);
}

#[test]
fn decimal_quantum_reads_the_printed_precision() {
    assert_eq!(decimal_quantum(0.123), 0.001);
    assert_eq!(decimal_quantum(512.0), 1.0);
    assert_eq!(decimal_quantum(-2.5), 0.1);
    assert_eq!(decimal_quantum(0.0), 0.0);
    assert_eq!(decimal_quantum(std::f64::consts::PI), 1e-9);
}

#[test]
fn a_rare_bernoulli_event_after_none_is_not_an_alarm() {
    // 2 tool errors in 58 calls after many steps with none.
    let mut v = vec![0.0; 40];
    v.push(2.0 / 58.0);
    v.extend([0.0; 10]);
    let f = run(&v, kind::RATE as i32 | MAY_RISE, 58.0);
    assert_eq!(alarms(&f), 0);
    assert!(f.iter().all(|&x| x & flag::OPEN == 0));
}

#[test]
fn a_noisy_trend_is_healthy() {
    let mut seed = 7u64;
    for code in [kind::SIGNED as i32, kind::SCALE as i32] {
        let v: Vec<f64> = (0..200)
            .map(|i| 1.0 + 0.02 * i as f64 + 0.2 * (uniform(&mut seed) - 0.5))
            .collect();
        assert_eq!(alarms(&run(&v, code | BOTH, f64::NAN)), 0, "kind {code}");
    }
}

#[test]
fn a_one_off_spike_is_a_note_not_an_alarm() {
    let mut v: Vec<f64> = (0..30).map(|i| 1.0 + 0.01 * (i % 3) as f64).collect();
    v.push(40.0);
    v.extend((0..20).map(|i| 1.0 + 0.01 * (i % 3) as f64));
    let f = run(&v, kind::SCALE as i32 | MAY_RISE, f64::NAN);
    assert_eq!(alarms(&f), 0);
    assert_ne!(f[30] & flag::OPEN, 0);
    assert_ne!(f[31] & flag::ONE_OFF, 0);
}

#[test]
fn three_decimal_quantisation_is_not_a_change() {
    // A value wandering by one printed step.
    let v: Vec<f64> = (0..100)
        .map(|i| if i % 7 == 0 { 0.002 } else { 0.001 })
        .collect();
    assert_eq!(alarms(&run(&v, kind::SCALE as i32 | BOTH, f64::NAN)), 0);
}

#[test]
fn a_lasting_shift_alarms_after_three_points_and_only_in_its_direction() {
    let mut seed = 3u64;
    let mut v: Vec<f64> = (0..30).map(|_| 1.0 + 0.05 * uniform(&mut seed)).collect();
    v.extend((0..10).map(|_| 5.0 + 0.05 * uniform(&mut seed)));
    let f = run(&v, kind::SCALE as i32 | MAY_RISE, f64::NAN);
    assert_eq!(f[29] & flag::ALARM, 0);
    assert_ne!(f[30] & flag::OPEN, 0);
    assert_eq!(f[31] & flag::ALARM, 0);
    assert_ne!(f[32] & flag::ALARM, 0);
    assert_ne!(f[32] & flag::UP, 0);
    assert_eq!(alarms(&run(&v, kind::SCALE as i32 | MAY_FALL, f64::NAN)), 0);
}

#[test]
fn nonfinite_values_are_counted_and_learn_nothing() {
    let mut s = vec![0.0; state::WIDTH];
    let mut row = vec![0.0; out::WIDTH];
    for _ in 0..10 {
        step(&mut s, 1.0, kind::SCALE as i32 | BOTH, f64::NAN, &mut row);
    }
    let before = s.clone();
    let f = step(
        &mut s,
        f64::NAN,
        kind::SCALE as i32 | BOTH,
        f64::NAN,
        &mut row,
    );
    assert_ne!(f & flag::NONFINITE, 0);
    assert_eq!(row[out::NONFINITE_RUN], 1.0);
    step(
        &mut s,
        f64::INFINITY,
        kind::SCALE as i32 | BOTH,
        f64::NAN,
        &mut row,
    );
    assert_eq!(row[out::NONFINITE_RUN], 2.0);
    assert_eq!(s[state::COUNT], before[state::COUNT]);
}

#[test]
fn running_statistics_are_reported() {
    let v = [53.0, 2.6, 3.0, 2.0, 2.5, 2.2, 2.4];
    let mut s = vec![0.0; state::WIDTH];
    let mut row = vec![0.0; out::WIDTH];
    for &x in &v {
        step(&mut s, x, kind::SCALE as i32 | BOTH, f64::NAN, &mut row);
    }
    assert_eq!(row[out::EARLY_MAX], 53.0);
    assert_eq!(row[out::EARLY_MIN], 2.0);
    assert_eq!(row[out::MEDIAN5], 2.4);
    // The first full 5-point median (53, 2.6, 3, 2, 2.5) is 2.6; later ones are lower.
    assert_eq!(row[out::PEAK5], 2.6);
}

#[test]
fn a_batch_is_refused_whole_when_shapes_or_codes_are_wrong() {
    let mut states = vec![0.0; 2 * state::WIDTH];
    let mut outputs = vec![7.0; 2 * out::WIDTH];
    let mut flags = vec![9; 2];
    assert!(step_batch(
        &mut states,
        &[1.0],
        &[0, 0],
        &[1.0, 1.0],
        &mut outputs,
        &mut flags
    )
    .is_err());
    assert!(step_batch(
        &mut states,
        &[1.0, 1.0],
        &[0, 99],
        &[1.0, 1.0],
        &mut outputs,
        &mut flags
    )
    .is_err());
    assert!(outputs.iter().all(|&x| x == 7.0) && flags == vec![9, 9]);
    step_batch(
        &mut states,
        &[1.0, 2.0],
        &[ABSENT, 0],
        &[1.0, 1.0],
        &mut outputs,
        &mut flags,
    )
    .unwrap();
    assert_eq!(states[state::COUNT], 0.0);
    assert_eq!(states[state::WIDTH + state::COUNT], 1.0);
}
