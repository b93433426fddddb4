/**
 * The canonical `steps` or `trajectories` table in Parquet, read one row group
 * at a time (the file itself is held in memory: Parquet's footer comes last).
 */

import type { DocumentFormat } from "../format.js";
import { CanonicalTable, TABLE_KEY, tableKind } from "../parse/columnar.js";
import { isParquet, parquetBatches, parquetSchema } from "../parse/parquet-file.js";

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
