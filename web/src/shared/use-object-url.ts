import { useEffect, useState } from 'react';
import { apiBlob } from './api.js';

/** A file the API serves, as a URL an <img> can show (fetched with the token); freed when done. */
export function useObjectUrl(path: string | undefined): string | undefined {
  const [url, setUrl] = useState<string | undefined>();
  useEffect(() => {
    if (!path) return;
    let made: string | undefined;
    let cancelled = false;
    apiBlob(path)
      .then((blob) => {
        if (cancelled) return;
        made = URL.createObjectURL(blob);
        setUrl(made);
      })
      .catch(() => setUrl(undefined));
    return () => {
      cancelled = true;
      if (made) URL.revokeObjectURL(made);
    };
  }, [path]);
  return url;
}

/** Saves a file the API serves under its own name. */
export async function download(path: string, fileName: string): Promise<void> {
  const url = URL.createObjectURL(await apiBlob(path));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
