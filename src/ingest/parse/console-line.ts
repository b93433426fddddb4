/**
 * One line of a console log with stderr merged into it, taken apart: the tqdm
 * progress bars (written to stderr as `\r` + bar, with no line end) and the
 * text the program printed to stdout.
 *
 * When stdout is block-buffered (a file, a pipe: not a terminal), it reaches
 * the log in chunks of the buffer's size, cut anywhere, while stderr is
 * written at once: a dict line can then be cut in two with the bars drawn in
 * the meantime between its halves (`{'loss': 0.1, 'gr\r 23%|...| 14/60 [...]\r
 * ...ad_norm': ...}`). Taking the bars out gives the line back whole, and says
 * that it was cut (`barInside`): the mark of a buffered log.
 *
 * Every pattern here is anchored and bounded: linear in the line's length.
 */

/** A bar as tqdm draws it, with or without a description, up to the `]` that closes its times. */
const BAR_PREFIX = /^[^\r|{}]{0,200}?\d{1,3}%\|[^|\r]{0,1000}\|[^[\]\r|]{0,200}\[[^\]\r]{0,400}\]/;

/**
 * A tqdm bar without a description, as the HF Trainer draws its training and
 * evaluation bars: `  5%|▌         | 5/100 [00:31<09:45,  6.16s/it]`. Bars with a
 * description (vLLM's `Processed prompts: ...`, checkpoint loading) are not it.
 */
const TRAINER_BAR = /^\s{0,200}\d{1,3}%\|[^|\r]{0,1000}\|\s{0,50}(\d{1,15})\/(\d{1,15}) \[/;

/** A trainer bar seen on the line: its count and total, and whether it came after the line's stdout text began. */
export interface BarSighting {
  count: number;
  total: number;
  /** Drawn after stdout text of this line began (a `{` had been printed): the line was cut by a buffer flush. */
  inside: boolean;
}

export interface ConsoleLine {
  /** The line's stdout text, bars and the blank padding tqdm writes taken out. */
  text: string;
  /** The trainer bars on the line, in order. */
  bars: BarSighting[];
}

/** Takes a line apart into its stdout text and its trainer bars (see the module comment). */
export function splitConsoleLine(line: string): ConsoleLine {
  const bars: BarSighting[] = [];
  if (line.indexOf("%|") === -1) return { text: line, bars }; // no bar at all: the common case, no copy
  let text = "";
  /** Stdout text of the line has begun a dict: a bar drawn now cut the line. */
  let opened = false;
  const add = (piece: string) => {
    text += piece;
    opened ||= piece.indexOf("{") !== -1;
  };
  line.split("\r").forEach((segment, i) => {
    const bar = BAR_PREFIX.exec(segment);
    if (!bar) {
      // A blank segment after a `\r` is tqdm clearing its bar (before something is printed), not stdout.
      if (i === 0 || !isBlank(segment)) add(segment);
      return;
    }
    const trainer = TRAINER_BAR.exec(segment);
    if (trainer) bars.push({ count: Number(trainer[1]), total: Number(trainer[2]), inside: opened });
    // What follows a bar in its segment is stdout text (a chunk flushed after the bar was drawn),
    // less the spaces tqdm pads a shorter bar with.
    add(trimStartSpaces(segment.slice(bar[0].length)));
  });
  return { text, bars };
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 32) return false;
  return true;
}

function trimStartSpaces(text: string): string {
  let i = 0;
  while (i < text.length && text.charCodeAt(i) === 32) i++;
  return i === 0 ? text : text.slice(i);
}
