/**
 * Tool/environment rules: the world around the policy breaks (the tool
 * service, the observations, the rollout workers). The policy and optimiser
 * may be fine; the inputs and the batch are not.
 */
import { Case } from "../case.js";
import { ramp } from "../confidence.js";
import type { Rule } from "../rule.js";
import { SIGNALS } from "../signals.js";
import { agreementDrop, workersLost } from "../symptoms.js";
import { fromStart, healthyBefore, type Move, moved, pick } from "../trace.js";

/**
 * tool_failure: tool calls fail or time out: tool_error_rate (or the
 * tensor's rate.tool_error) up, by z or +0.1 over healthy without z (full at
 * +0.5). A change in tool calls per trajectory corroborates.
 * Confidence: 0.55 + 0.4 x strength + 0.03 when tool_calls.mean moved.
 */
export const toolFailureRule: Rule = {
  id: "tool_failure",
  faults: ["tool_failure"],
  description: "tool error rate up",
  apply(ctx) {
    const up = moved(ctx, pick(ctx, SIGNALS.toolError), "up", { abs: { min: 0.1, full: 0.5 }, nominal: 0 });
    if (!up) return null;
    const c = new Case(ctx, "tool_failure");
    c.move(up, "tool calls failing");
    const calls = moved(ctx, ctx.signal("tool_calls.mean"), "either");
    c.move(calls, "tool use changed");
    return c.finish(0.55 + 0.4 * up.strength + (calls ? 0.03 : 0));
  },
};

/**
 * observation_corruption: the environment feeds garbled prompts or
 * observations. Correctness falls (correct_mean / correct.mean; the reward
 * stands in without them) together with at least one input symptom: the
 * format rate drops, tool errors rise, or entropy or length shift abruptly.
 * No worker loss (that is worker_failure's), and the reward keeps agreeing
 * with correctness (else a reward fault).
 * Confidence: 0.3 + 0.25 x correctness-drop strength + 0.12 format drop
 * + 0.08 tool errors + 0.08 entropy/length shift + 0.05 healthy before the
 * alarm (an event at an onset); -0.2 when corr.reward_correct drops, -0.1 when
 * correctness was off from the start (a configuration); at most 0.85
 * (corruption is the least specific fault: it is judged by exclusion).
 */
export const observationCorruptionRule: Rule = {
  id: "observation_corruption",
  faults: ["observation_corruption"],
  description:
    "correctness falls with format failures, tool errors or an abrupt entropy/length shift, without worker loss",
  apply(ctx) {
    if (workersLost(ctx)) return null;
    const target = pick(ctx, SIGNALS.correct) ?? pick(ctx, SIGNALS.reward);
    const down = moved(ctx, target, "down", { abs: { min: 0.1, full: 0.5 } });
    if (!down || !target) return null;
    const format = moved(ctx, ctx.signal("rate.format"), "down", { abs: { min: 0.15, full: 0.6 } });
    const tool = moved(ctx, pick(ctx, SIGNALS.toolError), "up", { abs: { min: 0.1, full: 0.5 }, nominal: 0 });
    const shift = moved(ctx, pick(ctx, SIGNALS.entropy), "either") ?? moved(ctx, pick(ctx, SIGNALS.length), "either");
    const symptoms = [format, tool, shift].filter((m): m is Move => m !== undefined);
    if (symptoms.length === 0) return null;
    const c = new Case(ctx, "observation_corruption");
    c.move(down, "answers go wrong");
    c.move(format, "format failures");
    c.move(tool, "tool errors");
    c.move(shift, "abrupt shift");
    const agreement = agreementDrop(ctx);
    const event = healthyBefore(ctx, target);
    if (event) c.line(`${target.name} was healthy before step ${ctx.alarmStep}: an onset, not a configuration`);
    const start = fromStart(ctx, target, "down");
    const conf =
      0.3 +
      0.25 * down.strength +
      (format ? 0.12 : 0) +
      (tool ? 0.08 : 0) +
      (shift ? 0.08 : 0) +
      (event ? 0.05 : 0) -
      (agreement ? 0.2 : 0) -
      (start ? 0.1 : 0);
    return c.finish(Math.min(0.85, conf));
  },
};

/**
 * worker_failure: a rollout worker dies or stalls: fewer trajectories per
 * step (num_trajectories down; by z, or 1% fewer without z), step time up
 * (a stall waits for a timeout), whole groups missing (group.count down).
 * Confidence with fewer trajectories: 0.6 + 0.35 x strength (the larger of
 * the z strength and ramp(share lost, 1%, 50%)) + 0.03 step time up + 0.02
 * groups missing. Step time up alone (not explained by longer responses):
 * 0.3 + 0.2 x strength + 0.1 groups missing.
 */
export const workerFailureRule: Rule = {
  id: "worker_failure",
  faults: ["worker_failure"],
  description: "fewer trajectories per step and/or step time up (missing groups)",
  apply(ctx) {
    const lost = workersLost(ctx);
    const slow = moved(ctx, ctx.signal("step_time"), "up", { ratio: { min: 0.1, full: 0.7 } });
    const groups = moved(ctx, ctx.signal("group.count"), "down", { ratio: { min: 0.01, full: 0.3 } });
    const c = new Case(ctx, "worker_failure");
    if (lost) {
      const ref = lost.trace.reference;
      const share = Number.isFinite(ref) && ref > 0 ? 1 - lost.point.value / ref : NaN;
      const strength = Math.max(lost.strength, ramp(share, 0.01, 0.5));
      c.move(
        lost,
        Number.isFinite(share) ? `${Math.round(share * 100)}% of the trajectories missing` : "trajectories missing",
      );
      c.move(slow, "waiting on a dead worker");
      c.move(groups, "whole groups missing");
      return c.finish(0.6 + 0.35 * strength + (slow ? 0.03 : 0) + (groups ? 0.02 : 0));
    }
    if (!slow) return null;
    if (moved(ctx, pick(ctx, SIGNALS.length), "up")) return null; // longer responses take longer
    c.move(slow, "steps stall");
    c.move(groups, "whole groups missing");
    return c.finish(0.3 + 0.2 * slow.strength + (groups ? 0.1 : 0));
  },
};
