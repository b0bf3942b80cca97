/**
 * A client's file name, made safe to keep as metadata: no folders, no control characters.
 * Browsers percent-encode `"`, CR and LF in multipart file names (the HTML form encoding): they
 * are decoded first, so a user sees the quotes they typed (line breaks are then dropped with the
 * other control characters). A literal "%22" in a name from another client reads as a quote.
 */
export function cleanFileName(name: string | undefined): string {
  const decoded = (name ?? '').replace(/%22/gi, '"').replace(/%0[da]/gi, '\n');
  const base = decoded.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'file' : cleaned;
}

/** The client's content type when it looks like one, else the generic binary type. */
export function cleanContentType(type: string | undefined): string {
  const value = (type ?? '').trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(value) && value.length <= 127
    ? value
    : 'application/octet-stream';
}

/** Images a browser may show inline from our origin: raster types only (SVG can carry script). */
export function isInlineImage(type: string): boolean {
  return ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp'].includes(type);
}

/** A Content-Disposition value that survives any file name (RFC 6266 with an ASCII fallback). */
export function contentDisposition(kind: 'attachment' | 'inline', fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
