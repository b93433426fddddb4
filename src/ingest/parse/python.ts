/**
 * Python literals as `str(dict)` and `pprint.pformat` print them (the HF
 * Trainer's console dict lines, verl's console values), read with JSON5 after
 * rewriting the few tokens Python spells differently. Strings pass through
 * untouched: JSON5 reads Python's quoting ('...' and "...", with `\x..` and
 * `\u....` escapes) as it is.
 */
import JSON5 from "json5";
import { errorMessage, type Parsed } from "./values.js";

/**
 * A quoted string (left as is), or one of Python's spellings: `nan`, `inf`,
 * `-inf`, `True`, `False`, `None`, a numpy scalar `np.float64(0.5)` (numpy 2
 * prints scalars so), a torch scalar `tensor(0.5, device='cuda:0')`.
 */
const PYTHON_TOKEN =
  /'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[-+]?\b(?:nan|inf)\b|\b(?:True|False|None)\b|\b(?:np|numpy)\.\w+\(\s*([^()]*?)\s*\)|\btensor\(\s*([^(),]*?)\s*(?:,[^()]*)?\)/g;

const SPELLINGS: Readonly<Record<string, string>> = {
  nan: "NaN",
  "-nan": "NaN",
  "+nan": "NaN",
  inf: "Infinity",
  "+inf": "Infinity",
  "-inf": "-Infinity",
  True: "true",
  False: "false",
  None: "null",
};

/** Rewrites Python's spellings into JSON5's, leaving quoted strings alone. */
export function pythonToJson5(text: string): string {
  return text.replace(PYTHON_TOKEN, (token: string, numpyArg?: string, torchArg?: string) => {
    const first = token[0];
    if (first === "'" || first === '"') return token;
    const inner = numpyArg ?? torchArg;
    if (inner !== undefined) return pythonToJson5(inner);
    return SPELLINGS[token] ?? token;
  });
}

/** Parses a Python literal (a dict of scalars, a scalar). */
export function parsePython(text: string): Parsed {
  try {
    return { value: JSON5.parse(pythonToJson5(text)) };
  } catch (err) {
    return { error: `not a Python literal: ${errorMessage(err)}` };
  }
}
