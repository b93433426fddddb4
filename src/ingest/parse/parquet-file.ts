/**
 * Parquet files, read with hyparquet (pure JavaScript; hyparquet-compressors
 * adds the codecs beyond snappy that pyarrow and polars write: zstd, gzip,
 * brotli, lz4), one row group at a time.
 */
import type { ColumnBatch } from "./columns.js";

/** The Parquet magic, at the start (and the end) of every Parquet file. */
export function isParquet(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31; // "PAR1"
}

/** hyparquet and its codecs are ES modules only: imported when needed, so that the CommonJS build loads them too. */
async function libraries() {
  const [hyparquet, { compressors }] = await Promise.all([import("hyparquet"), import("hyparquet-compressors")]);
  return { ...hyparquet, compressors };
}

function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The names of the file's top-level columns and its key-value metadata. Throws on a file that is not Parquet. */
export async function parquetSchema(bytes: Uint8Array): Promise<{ names: string[]; metadata: Map<string, string> }> {
  const { parquetMetadata, parquetSchema: schemaOf } = await libraries();
  const metadata = parquetMetadata(arrayBuffer(bytes));
  const names = schemaOf(metadata).children.map((child) => child.element.name);
  const kv = new Map((metadata.key_value_metadata ?? []).map(({ key, value }) => [key, value ?? ""]));
  return { names, metadata: kv };
}

/** The file's rows, one row group per batch. Throws on a corrupt file. */
export async function* parquetBatches(bytes: Uint8Array): AsyncGenerator<ColumnBatch> {
  const { parquetMetadata, parquetSchema: schemaOf, parquetReadObjects, compressors } = await libraries();
  const file = arrayBuffer(bytes);
  const metadata = parquetMetadata(file);
  const names = schemaOf(metadata).children.map((child) => child.element.name);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    // One column at a time: hyparquet starts every column chunk of a read at once and
    // awaits them in turn, so in a corrupt file the chunks after the first failure
    // reject with no handler, which ends the process (issue 13, fuzzing; kept cases in
    // test/fixtures/fuzz/parquet/). Alone in its read, a chunk's failure is the read's.
    const columns: Record<string, unknown>[][] = [];
    for (const name of names) {
      columns.push(await parquetReadObjects({ file, metadata, rowStart, rowEnd, columns: [name], compressors }));
    }
    const rows = columns[0]?.length ?? 0;
    yield { names, rows, value: (column, row) => columns[column][row]?.[names[column]] };
    rowStart = rowEnd;
  }
}
