/** The image format its first bytes say, if a vision model can take it. */
export function imageKind(head: Buffer): 'png' | 'jpeg' | 'gif' | 'webp' | undefined {
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.subarray(0, 4).toString('latin1') === 'GIF8') return 'gif';
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP') return 'webp';
  return undefined;
}

/** The image format of base64 data (whitespace allowed), read from its first bytes only. */
export function base64ImageKind(base64: string): ReturnType<typeof imageKind> {
  return imageKind(Buffer.from(base64.replace(/\s+/g, '').slice(0, 24), 'base64'));
}
