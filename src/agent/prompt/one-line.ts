/** Text made one line (whitespace runs become one space) and, past `max` characters, cut at a word with " ...". */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  // At a word boundary, unless the first word alone is longer than max.
  const head = flat.slice(0, max).replace(/\s+\S*$/, '');
  return `${head || flat.slice(0, max)} ...`;
}
