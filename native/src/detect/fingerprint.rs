//! Fingerprint matching: which known fault a run's deviations look like.
//!
//! A fingerprint is the centroid of the deviation vectors (one entry per
//! signal, e.g. healthy-prior z-scores) that runs with one known fault showed;
//! a set holds `fingerprints x dims` centroids, row-major by fingerprint, and
//! one weight per dimension (how much a signal counts; 0 leaves it out).
//!
//! For a live deviation vector v, fingerprint k scores the weighted cosine
//! similarity over the dimensions where both v and its centroid c_k are finite
//! (NaN in v: the signal is missing for this run; NaN in c_k: the fault says
//! nothing about it):
//!
//! `sim_k = sum(w² v c_k) / (sqrt(sum(w² v²)) sqrt(sum(w² c_k²)))`, within
//! [-1, 1], and 0 when either norm is 0 (nothing in common to compare) or not
//! finite (entries beyond about 1e150 overflow the sums).
//!
//! Cosine compares the direction of the deviations, not their size: a fault
//! that moves the same signals the same way matches however severe it is.
//! The confidences are a softmax of sim / temperature over the fingerprints
//! (stable: the largest term is e^0), so they sum to 1 and order like the
//! similarities; a lower temperature makes them sharper. The exponential is
//! [`super::exp::exp`], the same bits on both builds.

use super::exp::exp;
use crate::error::KernelError;

#[derive(Debug, Clone, PartialEq)]
pub struct Matcher {
    fingerprints: usize,
    dims: usize,
    centroids: Vec<f64>,
    weights: Vec<f64>,
}

impl Matcher {
    /// A set of `fingerprints x dims` centroids (row-major) and `dims` weights.
    pub fn new(
        fingerprints: usize,
        dims: usize,
        centroids: &[f64],
        weights: &[f64],
    ) -> Result<Self, KernelError> {
        if fingerprints == 0 || dims == 0 {
            return Err(KernelError::detect_shape(format!(
                "a fingerprint set needs at least one fingerprint and one dimension (fingerprints {fingerprints}, dims {dims})"
            )));
        }
        let cells = fingerprints as u128 * dims as u128;
        if centroids.len() as u128 != cells || weights.len() != dims {
            return Err(KernelError::detect_shape(format!(
                "centroids ({}) must have fingerprints x dims ({fingerprints} x {dims} = {cells}) entries, weights ({}) dims ({dims})",
                centroids.len(),
                weights.len()
            )));
        }
        if let Some(d) = weights.iter().position(|&w| !(w.is_finite() && w >= 0.0)) {
            return Err(KernelError::detect_shape(format!(
                "weight {} of dimension {d} must be finite and at least 0",
                weights[d]
            )));
        }
        Ok(Matcher {
            fingerprints,
            dims,
            centroids: centroids.to_vec(),
            weights: weights.to_vec(),
        })
    }

    pub fn fingerprints(&self) -> usize {
        self.fingerprints
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Writes each fingerprint's similarity to `vector` and its confidence;
    /// returns the dimensions used (finite in `vector`, weight above 0).
    /// Checks everything first: a refused call writes nothing.
    pub fn match_vector(
        &self,
        vector: &[f64],
        temperature: f64,
        similarity: &mut [f64],
        confidence: &mut [f64],
    ) -> Result<usize, KernelError> {
        if vector.len() != self.dims
            || similarity.len() != self.fingerprints
            || confidence.len() != self.fingerprints
        {
            return Err(KernelError::detect_shape(format!(
                "vector ({}) must have dims ({}) entries, similarity ({}) and confidence ({}) fingerprints ({})",
                vector.len(),
                self.dims,
                similarity.len(),
                confidence.len(),
                self.fingerprints
            )));
        }
        if !(temperature.is_finite() && temperature > 0.0) {
            return Err(KernelError::detect_shape(format!(
                "temperature {temperature} must be finite and above 0"
            )));
        }
        for (sim, centroid) in similarity
            .iter_mut()
            .zip(self.centroids.chunks_exact(self.dims))
        {
            *sim = cosine(vector, centroid, &self.weights);
        }
        softmax(similarity, temperature, confidence);
        Ok((0..self.dims)
            .filter(|&d| vector[d].is_finite() && self.weights[d] > 0.0)
            .count())
    }
}

/// Weighted cosine similarity of `v` and `c` over the dimensions where both
/// are finite; 0 when either norm is 0 or not finite.
pub fn cosine(v: &[f64], c: &[f64], w: &[f64]) -> f64 {
    let (mut dot, mut vv, mut cc) = (0.0, 0.0, 0.0);
    for d in 0..v.len() {
        let (x, y) = (v[d], c[d]);
        if !x.is_finite() || !y.is_finite() {
            continue;
        }
        let w2 = w[d] * w[d];
        dot += w2 * x * y;
        vv += w2 * x * x;
        cc += w2 * y * y;
    }
    if !(vv > 0.0 && cc > 0.0 && vv.is_finite() && cc.is_finite()) {
        return 0.0;
    }
    (dot / (vv.sqrt() * cc.sqrt())).clamp(-1.0, 1.0)
}

/// `out[k] = e^(u_k - max u) / sum_j e^(u_j - max u)` with `u_k = sim[k] / temperature`
/// (within ±f64::MAX, for a subnormal temperature).
pub fn softmax(sim: &[f64], temperature: f64, out: &mut [f64]) {
    let mut top = f64::NEG_INFINITY;
    for k in 0..sim.len() {
        let u = (sim[k] / temperature).clamp(-f64::MAX, f64::MAX);
        out[k] = u;
        if u > top {
            top = u;
        }
    }
    let mut total = 0.0;
    for e in out.iter_mut() {
        *e = exp(*e - top);
        total += *e;
    }
    for e in out.iter_mut() {
        *e /= total;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    #[test]
    fn cosine_by_hand_with_a_missing_dimension_and_weights() {
        // Dimension 1 is missing from v; weights 1, 5, 2 (squares 1, 25, 4).
        // dot = 1*1*2 + 4*2*1 = 10; |v|² = 1*1 + 4*4 = 17; |c|² = 1*4 + 4*1 = 8.
        let sim = cosine(&[1.0, NAN, 2.0], &[2.0, 100.0, 1.0], &[1.0, 5.0, 2.0]);
        assert_eq!(sim, 10.0 / (17f64.sqrt() * 8f64.sqrt()));
        // A NaN centroid entry leaves that dimension out for that fingerprint only.
        assert_eq!(
            cosine(&[1.0, 3.0, 2.0], &[2.0, NAN, 1.0], &[1.0, 5.0, 2.0]),
            sim
        );
        // Same direction, any size: 1; opposite: -1; nothing in common: 0.
        assert!((cosine(&[1.0, 2.0], &[3.0, 6.0], &[1.0, 1.0]) - 1.0).abs() < 1e-15);
        assert!((cosine(&[1.0, 2.0], &[-2.0, -4.0], &[1.0, 1.0]) + 1.0).abs() < 1e-15);
        // Rounding never takes it beyond ±1.
        assert_eq!(
            cosine(&[1.0, 1.0, 1.0], &[1.0, 1.0, 1.0], &[1.0, 1.0, 1.0]),
            1.0
        );
        assert_eq!(cosine(&[1.0, NAN], &[NAN, 1.0], &[1.0, 1.0]), 0.0);
        assert_eq!(cosine(&[1.0, 2.0], &[0.0, 0.0], &[1.0, 1.0]), 0.0);
        assert_eq!(cosine(&[1.0, 2.0], &[1.0, 2.0], &[0.0, 0.0]), 0.0);
        // Orthogonal once weighted: dimension 1 is weighted out.
        assert_eq!(cosine(&[1.0, 5.0], &[0.0, 5.0], &[1.0, 0.0]), 0.0);
    }

    #[test]
    fn softmax_sums_to_one_and_orders_like_the_similarities() {
        let sim = [0.2, -0.5, 0.9, 0.2];
        let mut conf = [0.0; 4];
        softmax(&sim, 0.25, &mut conf);
        assert!((conf.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!(conf[2] > conf[0] && conf[0] == conf[3] && conf[3] > conf[1]);
        // By hand: e^((s - 0.9) / 0.25) / sum.
        let e: Vec<f64> = sim.iter().map(|s| ((s - 0.9) / 0.25f64).exp()).collect();
        let total: f64 = e.iter().sum();
        for k in 0..4 {
            assert!((conf[k] - e[k] / total).abs() < 1e-15, "{k}");
        }
        // A high temperature flattens, a tiny one picks the best.
        softmax(&sim, 1e6, &mut conf);
        assert!(conf.iter().all(|&c| (c - 0.25).abs() < 1e-6));
        softmax(&sim, 1e-300, &mut conf);
        assert_eq!(conf, [0.0, 0.0, 1.0, 0.0]);
        // A subnormal temperature: sim / temperature overflows, held at ±f64::MAX.
        let mut conf = [0.0; 2];
        softmax(&[1.0, -1.0], 1e-310, &mut conf);
        assert_eq!(conf, [1.0, 0.0]);
    }

    fn matcher() -> Matcher {
        // Fingerprint 0 moves signals 0 and 2 up; fingerprint 1 moves signal 0 down and says nothing of 2.
        Matcher::new(2, 3, &[2.0, 0.0, 1.0, -1.0, 1.0, NAN], &[1.0, 5.0, 2.0]).unwrap()
    }

    #[test]
    fn matches_a_vector_by_hand() {
        let m = matcher();
        let (mut sim, mut conf) = ([0.0; 2], [0.0; 2]);
        let used = m
            .match_vector(&[1.0, NAN, 2.0], 0.5, &mut sim, &mut conf)
            .unwrap();
        assert_eq!(used, 2);
        // Fingerprint 0: dot 2 + 8 = 10, |v|² 17, |c|² 4 + 4 = 8. Fingerprint 1: only dimension 0, cosine -1.
        assert_eq!(sim, [10.0 / (17f64.sqrt() * 8f64.sqrt()), -1.0]);
        let e1 = exp((sim[1] - sim[0]) / 0.5);
        assert_eq!(conf, [1.0 / (1.0 + e1), e1 / (1.0 + e1)]);
        // A zero weight does not count as a used dimension.
        let m = Matcher::new(1, 2, &[1.0, 1.0], &[1.0, 0.0]).unwrap();
        let (mut sim, mut conf) = ([0.0; 1], [0.0; 1]);
        assert_eq!(
            m.match_vector(&[1.0, 1.0], 1.0, &mut sim, &mut conf)
                .unwrap(),
            1
        );
        assert_eq!((sim, conf), ([1.0], [1.0]));
    }

    #[test]
    fn refuses_bad_sets_and_calls_without_writing() {
        assert!(Matcher::new(0, 3, &[], &[1.0; 3])
            .unwrap_err()
            .message
            .contains("at least one fingerprint"));
        assert!(Matcher::new(2, 0, &[], &[])
            .unwrap_err()
            .message
            .contains("at least one fingerprint"));
        assert!(Matcher::new(2, 3, &[0.0; 5], &[1.0; 3])
            .unwrap_err()
            .message
            .contains("centroids (5)"));
        assert!(Matcher::new(2, 3, &[0.0; 6], &[1.0; 2])
            .unwrap_err()
            .message
            .contains("weights (2)"));
        assert_eq!(
            Matcher::new(1, 2, &[0.0; 2], &[1.0, -1.0])
                .unwrap_err()
                .message,
            "weight -1 of dimension 1 must be finite and at least 0"
        );
        assert!(Matcher::new(1, 2, &[0.0; 2], &[NAN, 1.0]).is_err());
        assert!(Matcher::new(1, 2, &[0.0; 2], &[f64::INFINITY, 1.0]).is_err());
        let m = matcher();
        let (mut sim, mut conf) = ([7.0; 2], [7.0; 2]);
        for t in [0.0, -1.0, NAN, f64::INFINITY] {
            let err = m
                .match_vector(&[1.0, 1.0, 1.0], t, &mut sim, &mut conf)
                .unwrap_err();
            assert!(err.message.starts_with("temperature"), "{}", err.message);
        }
        assert!(m
            .match_vector(&[1.0, 1.0], 1.0, &mut sim, &mut conf)
            .is_err());
        assert!(m
            .match_vector(&[1.0, 1.0, 1.0], 1.0, &mut sim[..1], &mut conf)
            .is_err());
        assert_eq!((sim, conf), ([7.0; 2], [7.0; 2]));
    }
}
