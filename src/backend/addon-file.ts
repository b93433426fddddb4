/**
 * Checks a native addon file against its own headers before it is loaded.
 *
 * Why: the dynamic loader maps an ELF or Mach-O file's segments straight from
 * the file; when the file is shorter than its headers say (an interrupted copy,
 * a full disk, `head -c`), touching a mapped page past the end raises SIGBUS and
 * kills the process at import, with no error to catch. Comparing the extents the
 * headers declare (program and section headers, load commands, PE sections)
 * with the file's size catches a truncated or damaged file first, so the loader
 * can fall back to the WebAssembly build and say why.
 *
 * This is a structural check, not a digest: a flipped bit inside a segment is
 * not seen; a file that is cut short, or is not a shared library at all, is.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** Reads `length` bytes at `offset`, or fewer where the file ends. */
type ReadAt = (offset: number, length: number) => Buffer;

/**
 * Returns why the file cannot be a loadable addon (`undefined` when its headers
 * agree with its size). Never throws: an unreadable file is a reason too.
 */
export function addonFileProblem(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    return `cannot open ${path}: ${(error as Error).message}`;
  }
  try {
    const size = fstatSync(fd).size;
    const readAt: ReadAt = (offset, length) => {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      let done = 0;
      while (done < buffer.length) {
        const n = readSync(fd, buffer, done, buffer.length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return buffer.subarray(0, done);
    };
    const problem = imageProblem(readAt, 0, size);
    return problem === undefined ? undefined : `${path} (${size} bytes) ${problem}`;
  } catch (error) {
    return `cannot read ${path}: ${(error as Error).message}`;
  } finally {
    closeSync(fd);
  }
}

/** Checks one image (a whole file, or one slice of a universal Mach-O file) at `base`, `size` bytes long. */
function imageProblem(readAt: ReadAt, base: number, size: number): string | undefined {
  const magic = readAt(base, 4);
  if (magic.length < 4) return "is too short to be a shared library";
  if (magic[0] === 0x7f && magic.toString("latin1", 1, 4) === "ELF") return elfProblem(readAt, base, size);
  if (magic[0] === 0x4d && magic[1] === 0x5a) return peProblem(readAt, base, size);
  const be = magic.readUInt32BE(0);
  const le = magic.readUInt32LE(0);
  if (be === 0xcafebabe || be === 0xcafebabf) return fatProblem(readAt, size, be === 0xcafebabf);
  if (le === 0xfeedface || le === 0xfeedfacf) return machoProblem(readAt, base, size, le === 0xfeedfacf, true);
  if (be === 0xfeedface || be === 0xfeedfacf) return machoProblem(readAt, base, size, be === 0xfeedfacf, false);
  return "is not a shared library (no ELF, Mach-O or PE header)";
}

function beyond(what: string, end: number, size: number): string {
  return `is truncated or damaged: its ${what} ends at byte ${end}, past the end at byte ${size} (an interrupted copy or a full disk cuts a file short)`;
}

/** Reads an unsigned integer of 4 or 8 bytes as a number (offsets past 2^53 are damage anyway). */
function uint(buffer: Buffer, offset: number, bytes: 2 | 4 | 8, little: boolean): number {
  if (bytes === 2) return little ? buffer.readUInt16LE(offset) : buffer.readUInt16BE(offset);
  if (bytes === 4) return little ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset);
  return Number(little ? buffer.readBigUInt64LE(offset) : buffer.readBigUInt64BE(offset));
}

const PT_LOAD = 1;
const SHT_NOBITS = 8;

function elfProblem(readAt: ReadAt, base: number, size: number): string | undefined {
  const ident = readAt(base, 16);
  if (ident.length < 16) return "is truncated: its ELF identification is incomplete";
  const wide = ident[4] === 2;
  const little = ident[5] === 1;
  if ((ident[4] !== 1 && ident[4] !== 2) || (ident[5] !== 1 && ident[5] !== 2)) return "has a damaged ELF header";
  const headerSize = wide ? 64 : 52;
  const header = readAt(base, headerSize);
  if (header.length < headerSize) return beyond("ELF header", headerSize, size);
  const word = wide ? 8 : 4;
  const phoff = uint(header, wide ? 32 : 28, word, little);
  const shoff = uint(header, wide ? 40 : 32, word, little);
  const phentsize = uint(header, wide ? 54 : 42, 2, little);
  const phnum = uint(header, wide ? 56 : 44, 2, little);
  const shentsize = uint(header, wide ? 58 : 46, 2, little);
  const shnum = uint(header, wide ? 60 : 48, 2, little);

  const phEnd = phoff + phentsize * phnum;
  if (phEnd > size) return beyond("program header table", phEnd, size);
  const programs = readAt(base + phoff, phentsize * phnum);
  for (let i = 0; i < phnum; i++) {
    const at = i * phentsize;
    if (uint(programs, at, 4, little) !== PT_LOAD) continue;
    const offset = uint(programs, at + (wide ? 8 : 4), word, little);
    const filesz = uint(programs, at + (wide ? 32 : 16), word, little);
    if (offset + filesz > size) return beyond(`loadable segment ${i}`, offset + filesz, size);
  }
  if (shoff !== 0 && shnum !== 0) {
    const shEnd = shoff + shentsize * shnum;
    if (shEnd > size) return beyond("section header table", shEnd, size);
    const sections = readAt(base + shoff, shentsize * shnum);
    for (let i = 0; i < shnum; i++) {
      const at = i * shentsize;
      if (uint(sections, at + 4, 4, little) === SHT_NOBITS) continue;
      const offset = uint(sections, at + (wide ? 24 : 16), word, little);
      const length = uint(sections, at + (wide ? 32 : 20), word, little);
      if (offset + length > size) return beyond(`section ${i}`, offset + length, size);
    }
  }
  return undefined;
}

const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;

function machoProblem(readAt: ReadAt, base: number, size: number, wide: boolean, little: boolean): string | undefined {
  const headerSize = wide ? 32 : 28;
  const header = readAt(base, headerSize);
  if (header.length < headerSize) return beyond("Mach-O header", headerSize, size);
  const ncmds = uint(header, 16, 4, little);
  const sizeofcmds = uint(header, 20, 4, little);
  if (headerSize + sizeofcmds > size) return beyond("load commands", headerSize + sizeofcmds, size);
  const commands = readAt(base + headerSize, sizeofcmds);
  let at = 0;
  for (let i = 0; i < ncmds; i++) {
    if (at + 8 > commands.length) return "has damaged Mach-O load commands";
    const cmd = uint(commands, at, 4, little);
    const cmdsize = uint(commands, at + 4, 4, little);
    if (cmdsize < 8 || at + cmdsize > commands.length) return "has damaged Mach-O load commands";
    if (cmd === LC_SEGMENT_64 && cmdsize >= 56) {
      const end = uint(commands, at + 40, 8, little) + uint(commands, at + 48, 8, little);
      if (end > size) return beyond(`segment ${i}`, base + end, size);
    } else if (cmd === LC_SEGMENT && cmdsize >= 40) {
      const end = uint(commands, at + 32, 4, little) + uint(commands, at + 36, 4, little);
      if (end > size) return beyond(`segment ${i}`, base + end, size);
    }
    at += cmdsize;
  }
  return undefined;
}

/** A universal (fat) Mach-O file: each architecture's slice lies inside the file and is itself whole. */
function fatProblem(readAt: ReadAt, size: number, wide: boolean): string | undefined {
  const count = readAt(4, 4);
  if (count.length < 4) return beyond("universal header", 8, size);
  const slices = count.readUInt32BE(0);
  const entry = wide ? 32 : 20;
  const table = readAt(8, slices * entry);
  if (table.length < slices * entry) return beyond("universal architecture table", 8 + slices * entry, size);
  for (let i = 0; i < slices; i++) {
    const offset = uint(table, i * entry + 8, wide ? 8 : 4, false);
    const length = uint(table, i * entry + (wide ? 16 : 12), wide ? 8 : 4, false);
    if (offset + length > size) return beyond(`architecture slice ${i}`, offset + length, size);
    const problem = imageProblem(readAt, offset, length);
    if (problem) return `slice ${i} ${problem}`;
  }
  return undefined;
}

function peProblem(readAt: ReadAt, base: number, size: number): string | undefined {
  const dos = readAt(base, 64);
  if (dos.length < 64) return beyond("DOS header", 64, size);
  const pe = dos.readUInt32LE(0x3c);
  const coff = readAt(base + pe, 24);
  if (coff.length < 24) return beyond("PE header", pe + 24, size);
  if (coff.toString("latin1", 0, 4) !== "PE\0\0") return "has a damaged PE header";
  const sections = coff.readUInt16LE(6);
  const optional = coff.readUInt16LE(20);
  const tableAt = pe + 24 + optional;
  const table = readAt(base + tableAt, sections * 40);
  if (table.length < sections * 40) return beyond("PE section table", tableAt + sections * 40, size);
  for (let i = 0; i < sections; i++) {
    const length = table.readUInt32LE(i * 40 + 16);
    const offset = table.readUInt32LE(i * 40 + 20);
    if (length !== 0 && offset + length > size) return beyond(`PE section ${i}`, offset + length, size);
  }
  return undefined;
}
