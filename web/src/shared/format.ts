/** "in_progress" as a person reads it. */
export const statusLabel = (status: string) => status.replace('_', ' ');

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(1)} GB`;
}

/** 75 s as "1 min 15 s". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A time from the API: JSON carries it as an ISO string (the shared types say Date). */
export type Timestamp = string | Date;

export const timeOf = (value: Timestamp): number => new Date(value).getTime();

export function formatTime(value: Timestamp): string {
  return new Date(value).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export const formatCount = (count: number) => count.toLocaleString();

/** A call's time as people read it: 840 ms, 12.3 s, then 2 min 5 s. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(ms);
}

/** Tokens per second, to a tenth: "7.4 tok/s". */
export const formatRate = (perSecond: number) => `${perSecond.toLocaleString(undefined, { maximumFractionDigits: 1 })} tok/s`;
