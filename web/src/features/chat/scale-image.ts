/** The longest side an image is sent with: plenty for a vision model, a fraction of a photo's bytes. */
export const maxImageSide = 1024;

/** The size an image of width × height is scaled down to so neither side exceeds `max` (never up). */
export function fitWithin(width: number, height: number, max = maxImageSide): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * An image file scaled down in the browser to at most 1024 px a side, as a data URL: PNGs stay
 * PNG (screenshots keep their sharp text), everything else becomes JPEG. A small image is sent
 * as it is.
 */
export async function scaleImage(file: File): Promise<{ dataUrl: string; width: number; height: number }> {
  const bitmap = await createImageBitmap(file).catch(() => {
    throw new Error(`${file.name} is not an image this browser can read (use PNG, JPEG, WebP or GIF).`);
  });
  try {
    const size = fitWithin(bitmap.width, bitmap.height);
    if (size.width === bitmap.width && size.height === bitmap.height && /^image\/(png|jpeg|webp|gif)$/.test(file.type)) {
      return { dataUrl: await readAsDataUrl(file), ...size };
    }
    const canvas = document.createElement('canvas');
    canvas.width = size.width;
    canvas.height = size.height;
    const context = canvas.getContext('2d')!;
    context.imageSmoothingQuality = 'high';
    context.drawImage(bitmap, 0, 0, size.width, size.height);
    const dataUrl = file.type === 'image/png' ? canvas.toDataURL('image/png') : canvas.toDataURL('image/jpeg', 0.9);
    return { dataUrl, ...size };
  } finally {
    bitmap.close();
  }
}

function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error(`Cannot read ${file.name}.`));
    reader.readAsDataURL(file);
  });
}
