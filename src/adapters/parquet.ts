/**
 * The canonical `steps` or `trajectories` table in Parquet, read one row group
 * at a time (the file itself is held in memory: Parquet's footer comes last).
 */
import { CanonicalTable, TABLE_KEY, tableKind } from "./columnar.js";
import { isParquet, parquetBatches, parquetSchema } from "./parquet-file.js";
import type { DocumentFormat } from "./types.js";

export const parquet: DocumentFormat = {
  name: "parquet",
  kind: "document",
  title: "canonical steps or trajectories table in Parquet",
  late: "skip",
  claims: async (head) => isParquet(head),
  async *read(input, context, sink) {
    const bytes = await input.bytes();
    const { names, metadata } = await parquetSchema(bytes);
    const table = new CanonicalTable(tableKind(names, metadata.get(TABLE_KEY)), context, sink);
    for await (const batch of parquetBatches(bytes)) {
      table.add(batch);
      yield;
    }
  },
};
