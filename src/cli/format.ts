/** A plain text table: columns padded to their widest cell, long cells cut. */
export function table(headers: string[], rows: (string | number | null | undefined)[][], maxWidth = 60): string {
  const cells = [headers, ...rows.map((row) => row.map((cell) => cut(String(cell ?? ''), maxWidth)))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => [...(row[column] ?? '')].length)));
  return cells
    .map((row) => row.map((cell, column) => (cell ?? '').padEnd(widths[column]!)).join('  ').trimEnd())
    .join('\n');
}

function cut(text: string, max: number): string {
  const single = text.replace(/\s+/g, ' ');
  return [...single].length > max ? `${[...single].slice(0, max - 1).join('')}…` : single;
}

/**
 * Text from elsewhere (a tracker's titles, a model's output) without control characters: an
 * escape sequence in it must not move the cursor, retitle or clear the terminal.
 */
export function plain(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}
