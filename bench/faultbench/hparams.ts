/** The trainer's hyperparameters, and the nominal settings every run of the benchmark starts from. */

export interface HParams {
  prompts: number;
  groupSize: number;
  lr: number;
  klCoef: number;
  clipEps: number;
  entropyCoef: number;
  epochs: number;
  minibatches: number;
  gradClip: number;
  temperature: number;
  maxResponseLength: number;
  /** Mantissa bits of the rollout engine's weights (8: about bfloat16). */
  rolloutBits: number;
  checkpointEvery: number;
}

export const NOMINAL: HParams = {
  prompts: 8,
  groupSize: 8,
  lr: 5e-4,
  klCoef: 0.3,
  clipEps: 0.2,
  entropyCoef: 0,
  epochs: 2,
  minibatches: 2,
  gradClip: 1,
  temperature: 1,
  maxResponseLength: 12,
  rolloutBits: 8,
  checkpointEvery: 5,
};
