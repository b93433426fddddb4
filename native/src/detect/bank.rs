//! Detector state for many (run, signal) streams at once, in bounded memory.
//!
//! A bank has `max_runs` run slots of `max_signals` streams each, all
//! allocated up front: `max_runs * max_signals * state::WIDTH` f64s, nothing
//! more however many runs come and go.
//!
//! Eviction policy: an observation for a run the bank does not hold takes a
//! free slot; in a full bank it takes the slot of the least recently observed
//! run (the smallest last-observation tick; the lowest slot on a tie), whose
//! state is dropped (`flag::EVICTED`). The new run starts fresh
//! (`flag::NEW_RUN`). [`Bank::evict`] drops a finished run at once.
//! The tick counts observations pushed into the bank.
//!
//! Finding a run's slot scans the slot table, once per change of run within a
//! batch (consecutive observations of the same run reuse the last slot).

use crate::error::{Code, KernelError};

use super::{flag, observe, opt, out, snapshot, state, Options, DETECT_VERSION, SNAPSHOT_MAGIC};

/// Run key of a free slot (keys are u32, stored as f64).
const FREE: f64 = -1.0;

/// Fixed part of a snapshot, in f64s: magic, version, the option vector, the tick
/// (layout/detect.json `snapshot_header`).
const HEADER: usize = snapshot::HEADER;

#[derive(Debug, Clone, PartialEq)]
pub struct Bank {
    options: Options,
    /// Observations pushed so far.
    tick: f64,
    /// Run key of each slot, or FREE.
    keys: Vec<f64>,
    /// Tick of each slot's last observation.
    last_seen: Vec<f64>,
    /// Stream states: slot-major, then signal, then `state::WIDTH` fields.
    states: Vec<f64>,
}

impl Bank {
    pub fn new(options: Options) -> Self {
        let streams = options.max_runs * options.max_signals;
        Bank {
            options,
            tick: 0.0,
            keys: vec![FREE; options.max_runs],
            last_seen: vec![0.0; options.max_runs],
            states: vec![0.0; streams * state::WIDTH],
        }
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Runs held now.
    pub fn runs(&self) -> usize {
        self.keys.iter().filter(|&&k| k != FREE).count()
    }

    /// Feeds observation `i` (`values[i]` of signal `signals[i]` of run
    /// `runs[i]`) to its stream, in order, writing `out::WIDTH` outputs per
    /// observation into `outputs` and its flags into `flags`. Checks the whole
    /// batch before touching any state.
    pub fn push(
        &mut self,
        runs: &[u32],
        signals: &[u32],
        values: &[f64],
        outputs: &mut [f64],
        flags: &mut [i32],
    ) -> Result<(), KernelError> {
        let n = values.len();
        if runs.len() != n
            || signals.len() != n
            || flags.len() != n
            || outputs.len() != n * out::WIDTH
        {
            return Err(KernelError::detect_shape(format!(
                "runs ({}), signals ({}), values ({n}) and flags ({}) must have one entry per observation, outputs ({}) {} per observation",
                runs.len(),
                signals.len(),
                flags.len(),
                outputs.len(),
                out::WIDTH
            )));
        }
        if let Some(i) = signals
            .iter()
            .position(|&s| s as usize >= self.options.max_signals)
        {
            return Err(KernelError::detect_shape(format!(
                "signal {} of observation {i} is not below max_signals ({})",
                signals[i], self.options.max_signals
            )));
        }
        let mut cached: Option<(u32, usize)> = None;
        for i in 0..n {
            self.tick += 1.0;
            let mut f = 0;
            let slot = match cached {
                Some((run, slot)) if run == runs[i] => slot,
                _ => {
                    let (slot, how) = self.slot_of(runs[i]);
                    f |= how;
                    cached = Some((runs[i], slot));
                    slot
                }
            };
            self.last_seen[slot] = self.tick;
            let stream = (slot * self.options.max_signals + signals[i] as usize) * state::WIDTH;
            let s = &mut self.states[stream..stream + state::WIDTH];
            let row = &mut outputs[i * out::WIDTH..(i + 1) * out::WIDTH];
            flags[i] = f | observe(s, values[i], &self.options, row);
        }
        Ok(())
    }

    /// The slot of `run`, taking one (and zeroing its streams) when the bank
    /// does not hold it; the flags say whether it did and whom it evicted.
    fn slot_of(&mut self, run: u32) -> (usize, i32) {
        let key = run as f64;
        if let Some(slot) = self.keys.iter().position(|&k| k == key) {
            return (slot, 0);
        }
        let (slot, how) = match self.keys.iter().position(|&k| k == FREE) {
            Some(free) => (free, flag::NEW_RUN),
            None => (self.least_recent(), flag::NEW_RUN | flag::EVICTED),
        };
        self.keys[slot] = key;
        self.streams_of(slot).fill(0.0);
        (slot, how)
    }

    fn least_recent(&self) -> usize {
        let mut best = 0;
        for slot in 1..self.last_seen.len() {
            if self.last_seen[slot] < self.last_seen[best] {
                best = slot;
            }
        }
        best
    }

    fn streams_of(&mut self, slot: usize) -> &mut [f64] {
        let width = self.options.max_signals * state::WIDTH;
        &mut self.states[slot * width..(slot + 1) * width]
    }

    /// Drops `run`'s state; false when the bank did not hold it.
    pub fn evict(&mut self, run: u32) -> bool {
        match self.keys.iter().position(|&k| k == run as f64) {
            Some(slot) => {
                self.keys[slot] = FREE;
                self.last_seen[slot] = 0.0;
                self.streams_of(slot).fill(0.0);
                true
            }
            None => false,
        }
    }

    /// The bank as bytes: little-endian f64s, the header (magic, version, option
    /// vector, tick), then run keys, last-seen ticks and stream states. The wasm
    /// kernel writes the same bytes.
    pub fn snapshot(&self) -> Vec<u8> {
        let mut words = Vec::with_capacity(HEADER + 2 * self.keys.len() + self.states.len());
        let mut header = [0.0; HEADER];
        header[snapshot::MAGIC] = SNAPSHOT_MAGIC;
        header[snapshot::VERSION] = DETECT_VERSION as f64;
        header[snapshot::OPTIONS..snapshot::OPTIONS + opt::WIDTH]
            .copy_from_slice(&self.options.to_vector());
        header[snapshot::TICK] = self.tick;
        words.extend(header);
        words.extend(&self.keys);
        words.extend(&self.last_seen);
        words.extend(&self.states);
        // One NaN for every NaN: their payload bits depend on the CPU's arithmetic, and a
        // snapshot is the same bytes on both backends.
        words
            .iter()
            .flat_map(|w| if w.is_nan() { f64::NAN } else { *w }.to_le_bytes())
            .collect()
    }

    /// A bank from `snapshot`'s bytes; it continues exactly where that one stood.
    pub fn restore(bytes: &[u8]) -> Result<Bank, KernelError> {
        let err = |m: &str| {
            Err(KernelError::new(
                Code::DetectSnapshot,
                format!("not a detector bank snapshot: {m}"),
            ))
        };
        if !bytes.len().is_multiple_of(8) || bytes.len() < HEADER * 8 {
            return err("too short or not whole f64s");
        }
        let words: Vec<f64> = bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        if words[snapshot::MAGIC] != SNAPSHOT_MAGIC
            || words[snapshot::VERSION] != DETECT_VERSION as f64
        {
            return err("wrong magic number or layout version");
        }
        let options =
            Options::from_vector(&words[snapshot::OPTIONS..snapshot::OPTIONS + opt::WIDTH])
                .map_err(|e| KernelError::new(Code::DetectSnapshot, e.message))?;
        let mut bank = Bank::new(options);
        let (runs, states) = (bank.keys.len(), bank.states.len());
        if words.len() != HEADER + 2 * runs + states {
            return err("its size does not match its options");
        }
        bank.tick = words[snapshot::TICK];
        bank.keys.copy_from_slice(&words[HEADER..HEADER + runs]);
        bank.last_seen
            .copy_from_slice(&words[HEADER + runs..HEADER + 2 * runs]);
        bank.states.copy_from_slice(&words[HEADER + 2 * runs..]);
        Ok(bank)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(max_runs: usize) -> Bank {
        Bank::new(Options {
            max_runs,
            max_signals: 2,
            ..Options::default()
        })
    }

    fn push(
        bank: &mut Bank,
        runs: &[u32],
        signals: &[u32],
        values: &[f64],
    ) -> (Vec<f64>, Vec<i32>) {
        let mut outputs = vec![0.0; values.len() * out::WIDTH];
        let mut flags = vec![0; values.len()];
        bank.push(runs, signals, values, &mut outputs, &mut flags)
            .unwrap();
        (outputs, flags)
    }

    #[test]
    fn streams_of_different_runs_and_signals_are_independent() {
        let mut bank = small(4);
        let (out, _) = push(
            &mut bank,
            &[7, 7, 9, 7],
            &[0, 1, 0, 0],
            &[1.0, 100.0, 50.0, 3.0],
        );
        // Run 7 signal 0 saw 1 then 3: its baseline level before 3 is 1.
        assert_eq!(out[3 * out::WIDTH + out::LEVEL], 1.0);
        assert_eq!(bank.runs(), 2);
    }

    #[test]
    fn a_full_bank_evicts_the_least_recently_observed_run() {
        let mut bank = small(2);
        let (_, flags) = push(
            &mut bank,
            &[1, 2, 1, 3],
            &[0, 0, 0, 0],
            &[1.0, 2.0, 1.0, 3.0],
        );
        assert_eq!(flags[0] & flag::NEW_RUN, flag::NEW_RUN);
        assert_eq!(flags[2] & (flag::NEW_RUN | flag::EVICTED), 0);
        assert_eq!(
            flags[3] & (flag::NEW_RUN | flag::EVICTED),
            flag::NEW_RUN | flag::EVICTED
        );
        // Run 2 was evicted (last seen at tick 2), run 1 kept: it comes back without NEW_RUN.
        let (_, flags) = push(&mut bank, &[1, 2], &[0, 0], &[1.0, 2.0]);
        assert_eq!(flags[0] & flag::NEW_RUN, 0);
        assert_eq!(flags[1] & flag::EVICTED, flag::EVICTED);
    }

    #[test]
    fn evict_frees_a_slot() {
        let mut bank = small(2);
        push(&mut bank, &[1, 2], &[0, 0], &[1.0, 2.0]);
        assert!(bank.evict(1));
        assert!(!bank.evict(1));
        let (_, flags) = push(&mut bank, &[3], &[0], &[1.0]);
        assert_eq!(flags[0] & (flag::NEW_RUN | flag::EVICTED), flag::NEW_RUN);
    }

    #[test]
    fn refuses_bad_batches_without_touching_state() {
        let mut bank = small(2);
        let before = bank.clone();
        let mut outputs = vec![0.0; 2 * out::WIDTH];
        let mut flags = vec![0; 2];
        assert!(bank
            .push(&[1, 1], &[0, 2], &[1.0, 2.0], &mut outputs, &mut flags)
            .is_err());
        assert!(bank
            .push(&[1], &[0, 0], &[1.0, 2.0], &mut outputs, &mut flags)
            .is_err());
        assert_eq!(bank, before);
    }

    #[test]
    fn a_restored_snapshot_continues_identically() {
        let mut bank = small(3);
        let values: Vec<f64> = (0..200)
            .map(|i| ((i * 37) % 11) as f64 + if i > 150 { 30.0 } else { 0.0 })
            .collect();
        let runs: Vec<u32> = (0..200).map(|i| (i % 4) as u32).collect();
        let signals: Vec<u32> = (0..200).map(|i| (i / 4 % 2) as u32).collect();
        push(&mut bank, &runs[..100], &signals[..100], &values[..100]);
        let mut copy = Bank::restore(&bank.snapshot()).unwrap();
        assert_eq!(copy, bank);
        let a = push(&mut bank, &runs[100..], &signals[100..], &values[100..]);
        let b = push(&mut copy, &runs[100..], &signals[100..], &values[100..]);
        assert_eq!(a, b);
    }

    #[test]
    fn restore_refuses_foreign_bytes() {
        assert!(Bank::restore(&[0; 16]).is_err());
        let mut bytes = small(1).snapshot();
        bytes.truncate(bytes.len() - 8);
        assert!(Bank::restore(&bytes).is_err());
    }
}
