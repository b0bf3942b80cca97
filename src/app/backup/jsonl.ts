/** A row as a backup keeps it: PostgreSQL's text for each column, or null. */
export type TextRow = (string | null)[];

export function encodeRow(row: TextRow): string {
  return `${JSON.stringify(row)}\n`;
}

/** The row on one line of a table's part, checked against the number of columns it must have. */
export function decodeRow(line: string, columns: number): TextRow {
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch {
    throw new Error('a line is not JSON');
  }
  if (!Array.isArray(row) || row.length !== columns || !row.every((value) => value === null || typeof value === 'string')) {
    throw new Error(`a line is not a row of ${columns} values`);
  }
  return row as TextRow;
}

/** The lines of a stream of bytes (UTF-8, `\n` ends each), without holding more than one line and one chunk. */
export async function* lines(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let rest: Buffer[] = [];
  for await (const chunk of chunks) {
    let start = 0;
    for (let end = chunk.indexOf(10, start); end !== -1; end = chunk.indexOf(10, start)) {
      rest.push(chunk.subarray(start, end));
      yield Buffer.concat(rest).toString('utf8');
      rest = [];
      start = end + 1;
    }
    if (start < chunk.length) rest.push(chunk.subarray(start));
  }
  if (rest.length > 0 && Buffer.concat(rest).length > 0) throw new Error('the last line is cut off');
}
