import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addonDigestProblem, digestPath, sha256File, writeAddonDigest } from "../../src/backend/addon-digest.js";
import { addonFileProblem } from "../../src/backend/addon-file.js";

const root = join(import.meta.dirname, "../..");
const nativeDir = join(root, "native");
const platform = `${process.platform}-${process.arch}`;
/** The addon this machine built (`npm run build:native`), if any. */
const built = existsSync(nativeDir)
  ? readdirSync(nativeDir).find((n) => n.startsWith(`rftfm.${platform}`) && n.endsWith(".node"))
  : undefined;

function scratch(): string {
  return mkdtempSync(join(tmpdir(), "rftfm-addon-"));
}

function write(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A 64-bit little-endian ELF header whose one loadable segment spans `segmentEnd` bytes. */
function elf(fileSize: number, segmentEnd: number): Buffer {
  const b = Buffer.alloc(fileSize);
  b.write("\x7fELF", 0, "latin1");
  b[4] = 2; // 64-bit
  b[5] = 1; // little-endian
  b.writeBigUInt64LE(64n, 32); // e_phoff
  b.writeBigUInt64LE(0n, 40); // e_shoff: no sections
  b.writeUInt16LE(56, 54); // e_phentsize
  b.writeUInt16LE(1, 56); // e_phnum
  b.writeUInt32LE(1, 64); // PT_LOAD
  b.writeBigUInt64LE(0n, 64 + 8); // p_offset
  b.writeBigUInt64LE(BigInt(segmentEnd), 64 + 32); // p_filesz
  return b;
}

/** A 64-bit Mach-O with one LC_SEGMENT_64 of `segmentEnd` bytes from offset 0. */
function macho(fileSize: number, segmentEnd: number): Buffer {
  const b = Buffer.alloc(fileSize);
  b.writeUInt32LE(0xfeedfacf, 0);
  b.writeUInt32LE(1, 16); // ncmds
  b.writeUInt32LE(72, 20); // sizeofcmds
  b.writeUInt32LE(0x19, 32); // LC_SEGMENT_64
  b.writeUInt32LE(72, 36); // cmdsize
  b.writeBigUInt64LE(0n, 32 + 40); // fileoff
  b.writeBigUInt64LE(BigInt(segmentEnd), 32 + 48); // filesize
  return b;
}

/** A PE image with one section whose raw data ends at `sectionEnd`. */
function pe(fileSize: number, sectionEnd: number): Buffer {
  const b = Buffer.alloc(fileSize);
  b.write("MZ", 0, "latin1");
  b.writeUInt32LE(0x80, 0x3c);
  b.write("PE\0\0", 0x80, "latin1");
  b.writeUInt16LE(1, 0x80 + 6); // sections
  b.writeUInt16LE(0, 0x80 + 20); // no optional header
  const section = 0x80 + 24;
  b.writeUInt32LE(sectionEnd - 0x200, section + 16); // SizeOfRawData
  b.writeUInt32LE(0x200, section + 20); // PointerToRawData
  return b;
}

describe("the addon file check", () => {
  it("accepts whole files and names the extent that runs past the end of a truncated one", () => {
    const dir = scratch();
    for (const [kind, make] of [
      ["ELF", elf],
      ["Mach-O", macho],
      ["PE", pe],
    ] as const) {
      expect(addonFileProblem(write(dir, `${kind}-whole`, make(4096, 4096))), kind).toBeUndefined();
      const problem = addonFileProblem(write(dir, `${kind}-cut`, make(4096, 9000)));
      expect(problem, kind).toMatch(/\(4096 bytes\) is truncated or damaged: its .* ends at byte 9000/);
    }
  });

  it("refuses what is not a shared library, an empty file and a missing one, without throwing", () => {
    const dir = scratch();
    expect(addonFileProblem(write(dir, "text.node", Buffer.from("hello world, no header here")))).toMatch(
      /not a shared library/,
    );
    expect(addonFileProblem(write(dir, "empty.node", new Uint8Array()))).toMatch(/too short/);
    expect(addonFileProblem(join(dir, "absent.node"))).toMatch(/cannot open/);
    expect(addonFileProblem(write(dir, "head.node", elf(4096, 4096).subarray(0, 30)))).toMatch(/ELF header/);
  });

  it.runIf(built)("accepts the built addon and refuses it cut short at any of several lengths", () => {
    const good = readFileSync(join(nativeDir, built as string));
    expect(addonFileProblem(join(nativeDir, built as string))).toBeUndefined();
    const dir = scratch();
    for (const fraction of [0.1, 0.5, 0.9, 0.999]) {
      const cut = write(dir, `cut-${fraction}.node`, good.subarray(0, Math.floor(good.length * fraction)));
      expect(addonFileProblem(cut), String(fraction)).toMatch(/is truncated or damaged/);
    }
  });
});

/** Runs a script in a child process: a SIGBUS there is a signal, not the test runner's death. */
function child(script: string): { status: number | null; signal: string | null; out: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, RFTFM_BACKEND: "" },
  });
  return { status: r.status, signal: r.signal, out: r.stdout + r.stderr };
}

describe.runIf(built)("a truncated native addon (issue 13, item 2)", () => {
  it("is refused before dlopen, and the selection falls back to wasm naming the file and the reason", () => {
    const dir = scratch();
    copyFileSync(join(nativeDir, "binding.cjs"), join(dir, "binding.cjs"));
    const good = readFileSync(join(nativeDir, built as string));
    writeFileSync(join(dir, built as string), good.subarray(0, 300_000));
    const r = child(`
      import { loadNativeKernels } from "./src/backend/native.ts";
      import { selectKernels } from "./src/backend/load.ts";
      const k = selectKernels({
        loadNative: () => loadNativeKernels(${JSON.stringify(join(dir, "binding.cjs"))}),
        loadWasm: () => ({ name: "wasm" }),
        warn: (m) => console.log("WARN " + m),
      });
      console.log("BACKEND " + k.name);`);
    expect(r.signal).toBeNull();
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/BACKEND wasm/);
    expect(r.out).toMatch(
      /WARN rftfm: native addon unavailable \(refusing to load the native addon: .*\(300000 bytes\) is truncated/,
    );
    expect(r.out).not.toMatch(/npm has a bug|wasm32-wasi/);
  });

  it("with no addon for this platform, the reason says so rather than blaming npm", () => {
    const dir = scratch();
    copyFileSync(join(nativeDir, "binding.cjs"), join(dir, "binding.cjs"));
    const r = child(`
      import { loadNativeKernels } from "./src/backend/native.ts";
      try { loadNativeKernels(${JSON.stringify(join(dir, "binding.cjs"))}); } catch (e) { console.log("ERR " + e.message); }`);
    expect(r.out).toMatch(new RegExp(`ERR no native addon built for ${platform} in `));
    expect(r.out).not.toMatch(/npm has a bug|wasm32-wasi/);
  });
});

/** Loads the addon beside `binding` in a child, with the selection's fallback; prints the backend and the warning. */
function selectIn(binding: string): { status: number | null; signal: string | null; out: string } {
  return child(`
    import { loadNativeKernels } from "./src/backend/native.ts";
    import { selectKernels } from "./src/backend/load.ts";
    const k = selectKernels({
      loadNative: () => loadNativeKernels(${JSON.stringify(binding)}),
      loadWasm: () => ({ name: "wasm" }),
      warn: (m) => console.log("WARN " + m),
    });
    console.log("BACKEND " + k.name);`);
}

describe("the addon's build digest (issue 13, item 2)", () => {
  it("is written in sha256sum format and accepts only the file it was written for", () => {
    const dir = scratch();
    const addon = write(dir, "rftfm.test.node", elf(4096, 4096));
    expect(addonDigestProblem(addon), "no digest file: headers only").toBeUndefined();
    const hex = writeAddonDigest(addon);
    expect(readFileSync(digestPath(addon), "utf8")).toBe(`${hex}  rftfm.test.node\n`);
    expect(hex).toBe(sha256File(addon));
    expect(addonDigestProblem(addon)).toBeUndefined();
    const other = elf(4096, 4096);
    other[2000] ^= 1; // inside the segment: the headers cannot see it
    writeFileSync(addon, other);
    expect(addonFileProblem(addon)).toBeUndefined();
    expect(addonDigestProblem(addon)).toMatch(
      /does not match its build digest rftfm\.test\.node\.sha256 \(truncated or replaced\?\)/,
    );
    writeFileSync(digestPath(addon), "not a digest\n");
    expect(addonDigestProblem(addon)).toMatch(/is not a sha256sum line/);
  });

  it.runIf(built)("the build script digests the addon built for this platform, and that addon loads", () => {
    const dir = scratch();
    copyFileSync(join(nativeDir, "binding.cjs"), join(dir, "binding.cjs"));
    copyFileSync(join(nativeDir, built as string), join(dir, built as string));
    const script = spawnSync(
      process.execPath,
      ["--import", "tsx", join(root, "scripts/write-addon-digests.ts"), join(dir, built as string)],
      { cwd: root, encoding: "utf8" },
    );
    expect(script.status, script.stderr).toBe(0);
    expect(readFileSync(digestPath(join(dir, built as string)), "utf8").split(" ")[0]).toBe(
      sha256File(join(nativeDir, built as string)),
    );
    const r = selectIn(join(dir, "binding.cjs"));
    expect(r.out).toMatch(/BACKEND native/);
    expect(r.out).not.toMatch(/WARN/);
  });

  it.runIf(built)("a replaced or truncated addon falls back to wasm, naming the file and its digest", () => {
    const good = readFileSync(join(nativeDir, built as string));
    const damaged = Buffer.from(good);
    // Bytes replaced in the middle of the file, its size and headers intact.
    for (let i = 0; i < 64; i++) damaged[Math.floor(good.length / 2) + i] ^= 0xff;
    for (const [kind, bytes] of [
      ["replaced", damaged],
      ["truncated", good.subarray(0, 300_000)],
    ] as const) {
      const dir = scratch();
      copyFileSync(join(nativeDir, "binding.cjs"), join(dir, "binding.cjs"));
      const addon = join(dir, built as string);
      writeFileSync(digestPath(addon), `${sha256File(join(nativeDir, built as string))}  ${built}\n`);
      writeFileSync(addon, bytes);
      const r = selectIn(join(dir, "binding.cjs"));
      expect(r.signal, kind).toBeNull();
      expect(r.status, r.out).toBe(0);
      expect(r.out, kind).toMatch(/BACKEND wasm/);
      const named = addon.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      expect(r.out, kind).toMatch(
        new RegExp(
          `WARN rftfm: native addon unavailable \\(refusing to load the native addon: ${named} does not match its build digest ${built?.replace(/\./g, "\\.")}\\.sha256 \\(truncated or replaced\\?\\)`,
        ),
      );
      if (kind === "truncated") expect(r.out).toMatch(/\(300000 bytes\) is truncated or damaged/);
    }
  });
});
