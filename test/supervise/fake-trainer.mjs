// A stand-in trainer for the supervisor's tests: talks to the sidecar at $RFTFM_URL as the
// Python client does, reports a checkpoint every 5 steps, and stops by itself on a halt.
// Usage: fake-trainer.mjs STEPS NAN_FROM POLICY_JSON [--resume STEP]
// NaN rewards from NAN_FROM on, on the first launch only unless NAN_FROM is negative (then always, from -NAN_FROM).

import { appendFileSync } from "node:fs";
import { connect } from "node:net";

const [steps, nanArg, policy] = [Number(process.argv[2]), Number(process.argv[3]), JSON.parse(process.argv[4])];
const resumeAt = process.argv.indexOf("--resume");
const start = resumeAt > 0 ? Number(process.argv[resumeAt + 1]) + 1 : 0;
const always = nanArg < 0;
const nanFrom = always ? -nanArg : resumeAt > 0 ? Infinity : nanArg;
if (process.env.FAKE_LOG)
  appendFileSync(process.env.FAKE_LOG, `${JSON.stringify({ start, args: process.argv.slice(5) })}\n`);

const socket = connect(process.env.RFTFM_URL.slice("unix://".length));
let buffer = "";
const waiting = [];
socket.on("data", (chunk) => {
  buffer += chunk;
  for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    waiting.shift()?.(JSON.parse(line));
  }
});
const ask = (value) =>
  new Promise((resolve) => {
    waiting.push(resolve);
    socket.write(`${JSON.stringify(value)}\n`);
  });
process.on("SIGTERM", () => process.exit(143));

await ask({ kind: "configure", run: "t", ...policy });
let seed = 7;
const rand = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
for (let step = start; step < steps; step++) {
  const bad = step >= nanFrom;
  const verdict = await ask({
    kind: "step",
    run: "t",
    step,
    metrics: {
      reward_mean: bad ? "NaN" : 0.3 + 0.02 * rand(),
      kl_ref: 0.01 + 0.001 * rand(),
      grad_norm: 0.8 + 0.1 * rand(),
      loss: 0.05 * rand(),
    },
    trajectories: {
      group: [0, 0, 0, 0, 1, 1, 1, 1],
      reward: Array.from({ length: 8 }, () => (bad ? "NaN" : Math.round(rand()))),
    },
    ...(step % 5 === 4 ? { events: [{ name: "checkpoint", path: `/ckpt/checkpoint-${step}` }] } : {}),
  });
  if (verdict.actions?.some((a) => a.kind === "halt")) {
    socket.end();
    process.exit(0); // saved and stopped, as the TRL callback does
  }
  // What the supervisor acts on: the trainer just goes on until it is stopped.
  await new Promise((r) => setTimeout(r, 5));
}
socket.end();
