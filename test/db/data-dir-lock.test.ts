import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLock, DataDirLockedError, lockFilePath, readLock } from '../../src/db/data-dir-lock.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A pid that belonged to a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('data dir lock', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));
  const dataDir = () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    return dir;
  };

  it('is exclusive, and the refusal names the holder and where it serves', () => {
    const dir = dataDir();
    const lock = DataDirLock.acquire(dir, 'serve');
    lock.advertise('http://127.0.0.1:8002');
    let error: unknown;
    try {
      DataDirLock.acquire(dir, 'serve');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect((error as Error).message).toContain(String(process.pid));
    expect((error as Error).message).toContain('http://127.0.0.1:8002');
    expect(readLock(dir)).toMatchObject({ pid: process.pid, purpose: 'serve', url: 'http://127.0.0.1:8002' });
    lock.release();
    expect(existsSync(lockFilePath(dir))).toBe(false);
    expect(readLock(dir)).toBeUndefined();
    DataDirLock.acquire(dir, 'cli').release();
  });

  it('takes over a lock left by a process that died', async () => {
    const dir = dataDir();
    const stale = { pid: await deadPid(), hostname: hostname(), purpose: 'serve', started_at: new Date().toISOString() };
    writeFileSync(lockFilePath(dir), JSON.stringify(stale));
    expect(readLock(dir)).toBeUndefined();
    const lock = DataDirLock.acquire(dir, 'serve');
    expect(JSON.parse(readFileSync(lockFilePath(dir), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock file that is empty or corrupt', () => {
    const dir = dataDir();
    writeFileSync(lockFilePath(dir), '');
    DataDirLock.acquire(dir, 'serve').release();
    writeFileSync(lockFilePath(dir), '{not json');
    DataDirLock.acquire(dir, 'serve').release();
  });

  it('does not remove a lock another process holds when released', () => {
    const dir = dataDir();
    const lock = DataDirLock.acquire(dir, 'serve');
    const other = { pid: process.pid + 1, hostname: hostname(), purpose: 'serve', started_at: '' };
    writeFileSync(lockFilePath(dir), JSON.stringify(other));
    lock.release();
    expect(existsSync(lockFilePath(dir))).toBe(true);
  });
});

describe('data dir lock after a restart', () => {
  it('takes over a lock that names this very pid but was not taken by this process (a restarted container)', () => {
    const { dir, cleanup } = tempDir();
    try {
      const leftover = { pid: process.pid, hostname: hostname(), purpose: 'serve', started_at: '2026-01-01T00:00:00Z' };
      writeFileSync(lockFilePath(dir), JSON.stringify(leftover));
      expect(readLock(dir)).toBeUndefined();
      DataDirLock.acquire(dir, 'serve').release();
    } finally {
      cleanup();
    }
  });

  it('takes over a lock whose pid now belongs to another process (pid reuse)', () => {
    const { dir, cleanup } = tempDir();
    try {
      // pid 1 runs, but it is not the process that wrote this lock: its start time differs.
      const reused = { pid: 1, hostname: hostname(), purpose: 'serve', started_at: '', process_start: '999999999999' };
      writeFileSync(lockFilePath(dir), JSON.stringify(reused));
      expect(readLock(dir)).toBeUndefined();
      DataDirLock.acquire(dir, 'serve').release();
    } finally {
      cleanup();
    }
  });

  it('tells how to clear a lock held on another host', () => {
    const { dir, cleanup } = tempDir();
    try {
      const remote = { pid: 4242, hostname: 'another-host', purpose: 'serve', started_at: '' };
      writeFileSync(lockFilePath(dir), JSON.stringify(remote));
      expect(() => DataDirLock.acquire(dir, 'serve')).toThrow(`delete ${lockFilePath(dir)}`);
    } finally {
      cleanup();
    }
  });
});
