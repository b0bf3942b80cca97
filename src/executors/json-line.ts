/** One line of a JSON Lines stream as an object, or undefined for a line that is not one (banners, blank lines). */
export function jsonLine(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `value` as a record, or an empty one. */
export function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** `value` as a string, or `fallback`. */
export function text(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

/** `value` as a non-negative whole number, or 0. */
export function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

/** A tool's output as text: strings as they are, anything else as JSON. */
export function outputText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    // Content blocks ([{type:'text', text}]) read as their text.
    const texts = value.map((block) => (typeof block === 'string' ? block : text(record(block).text))).filter(Boolean);
    if (texts.length) return texts.join('\n');
  }
  return JSON.stringify(value);
}
