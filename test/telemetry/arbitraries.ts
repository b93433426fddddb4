/** fast-check arbitraries for valid telemetry records, shared by the property tests. */
import fc from "fast-check";
import type {
  EventRecord,
  StepRecord,
  TelemetryRecord,
  TrajectoriesRecord,
  TrajectoryRecord,
} from "../../src/index.js";

/** Any double, NaN and ±Infinity included; -0 is written as 0 by JSON, so it is generated as 0. */
export const value = fc.double().map((x) => (Object.is(x, -0) ? 0 : x));
export const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));

export const run = fc.string({ minLength: 1, maxLength: 8 });
export const step = fc.nat({ max: 1_000_000 });
/** Key names, including awkward ones (`__proto__`, `constructor`, unicode, dots). */
export const key = fc.oneof(
  fc.string({ minLength: 1, maxLength: 10 }),
  fc.constantFrom("__proto__", "constructor", "toString", "reward", "group", "a.b", "é"),
);

const dict = <T>(keys: fc.Arbitrary<string>, values: fc.Arbitrary<T>) =>
  fc.dictionary(keys, values, { maxKeys: 6, noNullPrototype: true });

export const stepRecord: fc.Arbitrary<StepRecord> = fc
  .record({ run, step, time: fc.option(finite, { nil: undefined }), metrics: dict(key, value) })
  .map(({ run, step, time, metrics }) => {
    const record: StepRecord = { kind: "step", run, step, metrics };
    if (time !== undefined) record.time = time;
    return record;
  });

export const trajectoriesRecord: fc.Arbitrary<TrajectoriesRecord> = fc
  .record({ run, step, rows: fc.nat({ max: 6 }), names: fc.uniqueArray(key, { maxLength: 5 }) })
  .chain(({ run, step, rows, names }) =>
    fc.tuple(...names.map(() => fc.array(value, { minLength: rows, maxLength: rows }))).map((arrays) => {
      const columns: Record<string, number[]> = {};
      names.forEach((name, i) => {
        Object.defineProperty(columns, name, {
          value: arrays[i],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      });
      return { kind: "trajectories", run, step, rows: names.length === 0 ? 0 : rows, columns } as TrajectoriesRecord;
    }),
  );

const ROW_RESERVED = new Set(["kind", "run", "step", "time"]);
export const trajectoryRecord: fc.Arbitrary<TrajectoryRecord> = fc
  .record({
    run,
    step,
    values: dict(
      key.filter((k) => !ROW_RESERVED.has(k)),
      value,
    ),
  })
  .map(({ run, step, values }) => ({ kind: "trajectory", run, step, values }));

const EVENT_RESERVED = new Set(["kind", "run", "step", "name"]);
/** What a value looks like after a trip through JSON text (fc.jsonValue may hold -0, which JSON writes as 0). */
const asSentByJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

export const eventRecord: fc.Arbitrary<EventRecord> = fc
  .record({
    run,
    step,
    name: fc.string({ minLength: 1, maxLength: 12 }),
    data: dict(
      key.filter((k) => !EVENT_RESERVED.has(k)),
      fc.jsonValue({ maxDepth: 2 }).map(asSentByJson),
    ),
  })
  .map(({ run, step, name, data }) => ({ kind: "event", run, step, name, data }));

export const record: fc.Arbitrary<TelemetryRecord> = fc.oneof(
  stepRecord,
  trajectoriesRecord,
  trajectoryRecord,
  eventRecord,
);
