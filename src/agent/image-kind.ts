const pngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The image format its first bytes say, if a vision model can take it. */
export function imageKind(head: Uint8Array): 'png' | 'jpeg' | 'gif' | 'webp' | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head.length >= 8 && pngSignature.every((byte, index) => head[index] === byte)) return 'png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (ascii(0, 4) === 'GIF8') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  return undefined;
}

/** The image format of base64 data (whitespace allowed), read from its first bytes only. */
export function base64ImageKind(base64: string): ReturnType<typeof imageKind> {
  // 24 characters are 18 whole bytes: enough for every signature above.
  const start = base64.replace(/\s+/g, '').slice(0, 24);
  let binary: string;
  try {
    binary = atob(start);
  } catch {
    return undefined;
  }
  return imageKind(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
}
