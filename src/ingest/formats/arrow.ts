/**
 * The canonical `steps` or `trajectories` table in Arrow IPC (the file format,
 * `.arrow`, and the stream format, `.arrows`), read with apache-arrow one record
 * batch at a time, so a large file streams through in bounded memory.
 */
import type { RecordBatch } from "apache-arrow";
import type { DocumentFormat } from "../format.js";
import { CanonicalTable, TABLE_KEY, tableKind } from "../parse/columnar.js";
import type { ColumnBatch } from "../parse/columns.js";

/** `ARROW1` (the file format), or a stream's first message: the continuation marker 0xFFFFFFFF. */
function isArrow(head: Uint8Array): boolean {
  const file = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31].every((byte, i) => head[i] === byte);
  const stream = head.length >= 8 && head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff;
  return file || stream;
}

/**
 * A record batch as the table mapping reads it. `toArray` gives a typed array
 * for numeric columns (read in place) and a plain array otherwise; a typed
 * array has no nulls, so validity is asked of the vector when it has any.
 */
function columnBatch(batch: RecordBatch): ColumnBatch {
  const names = batch.schema.fields.map((field) => field.name);
  const readers = names.map((_, i) => {
    const vector = batch.getChildAt(i)!;
    const values = vector.toArray() as ArrayLike<unknown>;
    if (vector.nullCount === 0) return (row: number): unknown => values[row];
    return (row: number): unknown => (vector.isValid(row) ? values[row] : null);
  });
  return { names, rows: batch.numRows, value: (column, row) => readers[column](row) };
}

export const arrow: DocumentFormat = {
  name: "arrow",
  kind: "document",
  title: "canonical steps or trajectories table in Arrow IPC (file or stream format)",
  late: "skip",
  claims: async (head) => isArrow(head),
  async *read(input, context, sink) {
    // Imported when needed: a large library that most scans never use.
    const { RecordBatchReader } = await import("apache-arrow");
    const reader = await RecordBatchReader.from(input.chunks());
    let table: CanonicalTable | undefined;
    for await (const batch of reader) {
      const names = batch.schema.fields.map((field) => field.name);
      table ??= new CanonicalTable(tableKind(names, batch.schema.metadata.get(TABLE_KEY)), context, sink);
      table.add(columnBatch(batch));
      yield;
    }
  },
};
