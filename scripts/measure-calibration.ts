/**
 * Calibration measured on a one-setup corpus (docs/calibration.md): for each
 * of TRIALS disjoint draws of 3 healthy runs, calibrate on them and judge every
 * other healthy run (false alarms) and every faulty run (detections, by
 * severity), with the calibration and without it (the shipped set zero-shot).
 *
 *     nice npx tsx scripts/measure-calibration.ts CORPUS [RUNS_PER_CALIBRATION=3] [TRIALS=4]
 */
import { join } from "node:path";
import {
  type Calibration,
  calibrate,
  kernels,
  Monitor,
  type MonitorOptions,
  readLabels,
  readTelemetry,
  scanStream,
} from "../src/index.js";
import type { MonitoredStep } from "../src/monitor/signals.js";

const [corpus, perArg = "3", trialsArg = "4"] = process.argv.slice(2);
if (!corpus) throw new Error("usage: measure-calibration.ts CORPUS [RUNS_PER_CALIBRATION] [TRIALS]");
const per = Number(perArg);
const labels = readLabels(corpus);
const healthy = Object.keys(labels)
  .filter((id) => labels[id].fault === "healthy")
  .sort();
const faulty = Object.keys(labels)
  .filter((id) => labels[id].fault !== "healthy")
  .sort();
const file = (id: string) => join(corpus, labels[id].file);

const steps = new Map<string, MonitoredStep[]>();
async function stepsOf(id: string): Promise<MonitoredStep[]> {
  let s = steps.get(id);
  if (!s) {
    s = [];
    for await (const step of scanStream(kernels, readTelemetry([file(id)]).steps)) s.push(step as MonitoredStep);
    steps.set(id, s);
  }
  return s;
}

/** First alarm step of the run and the signals that raised it, or null. */
async function judge(id: string, options: MonitorOptions): Promise<{ step: number; by: string } | null> {
  const monitor = new Monitor({ ...options, policy: false, maxRuns: 1 });
  try {
    for (const step of await stepsOf(id)) {
      const v = monitor.observeScanned(step, (step.data as { events?: [] }).events);
      if (v.anomalous) return { step: v.step, by: v.anomalies.map((a) => `${a.signal}/${a.detector}`).join(" ") };
    }
    return null;
  } finally {
    monitor.close();
  }
}

const stride = Math.floor(healthy.length / per);
const trials = Math.min(Number(trialsArg), stride);
const tally = {
  cal: { fa: 0, healthy: 0, det: {} as Record<string, [number, number]> },
  zero: { fa: 0, healthy: 0, det: {} as Record<string, [number, number]> },
};
for (let t = 0; t < trials; t++) {
  // Disjoint draws spread over the healthy runs (ids sorted: seed by seed), so a draw mixes corpus seeds.
  const chosen = Array.from({ length: per }, (_, k) => healthy[t + k * stride]);
  const calibration: Calibration = await calibrate(chosen.map(file));
  const rest = healthy.filter((id) => !chosen.includes(id));
  console.log(
    `trial ${t}: calibrated on ${chosen.join(", ")} (width ${calibration.prior.width}, ${calibration.prior.buckets} buckets, ${calibration.steps} steps)`,
  );
  for (const [mode, options] of [
    ["cal", { calibration }],
    ["zero", {}],
  ] as const) {
    const m = tally[mode];
    for (const id of rest) {
      const alarm = await judge(id, options);
      m.healthy++;
      if (alarm) {
        m.fa++;
        console.log(`  ${mode} false alarm ${id} at ${alarm.step}: ${alarm.by}`);
      }
    }
    for (const id of faulty) {
      const alarm = await judge(id, options);
      const sev = String((labels[id] as { severity?: string }).severity);
      m.det[sev] ??= [0, 0];
      m.det[sev][1]++;
      if (alarm) m.det[sev][0]++;
      else if (mode === "cal") console.log(`  ${mode} missed ${id}`);
    }
  }
}
for (const [mode, m] of Object.entries(tally)) {
  const det = Object.entries(m.det)
    .map(([sev, [hit, n]]) => `${sev} ${hit}/${n}`)
    .join(", ");
  console.log(
    `${mode === "cal" ? "calibrated" : "zero-shot"}: false alarms ${m.fa}/${m.healthy} healthy runs; detected ${det}`,
  );
}
