//! Bench aids: functions the benchmark calls and the library never does
//! (docs/kernels.md, "Bench aids"). Not part of the kernel contract, so the
//! wasm build has no twin and no parity test covers them.

use napi_derive::napi;

/// Independent partial sums: enough to keep the adds off the critical path so
/// the loop runs at the speed memory delivers the values, not at the latency of
/// one floating-point add after another.
const LANES: usize = 8;

/// The memory roofline of the scanner: one pass over `values` (borrowed, not
/// copied) doing the least work that still reads every value, their sum. The
/// benchmark divides the scanner's throughput by this one's on the same buffer.
#[napi]
pub fn roofline_sum(values: &[f64]) -> f64 {
    let mut lanes = [0.0f64; LANES];
    let chunks = values.chunks_exact(LANES);
    let tail: f64 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (lane, value) in lanes.iter_mut().zip(chunk) {
            *lane += value;
        }
    }
    lanes.iter().sum::<f64>() + tail
}

#[cfg(test)]
mod tests {
    use super::roofline_sum;

    #[test]
    fn sums_every_value_including_the_tail() {
        let values: Vec<f64> = (1..=19).map(f64::from).collect();
        assert_eq!(roofline_sum(&values), 190.0);
        assert_eq!(roofline_sum(&[]), 0.0);
    }
}
