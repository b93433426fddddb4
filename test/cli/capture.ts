import { Writable } from "node:stream";

/** A stream that keeps what is written to it: whole, or as its non-empty lines. */
export function capture() {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, lines: () => text.split("\n").filter(Boolean), text: () => text };
}
