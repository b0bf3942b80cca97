import { mkdirSync, existsSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AttachmentStore } from '../../src/attachments/attachment-store.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('the attachment sweep', () => {
  const { dir, cleanup } = tempDir('wfhub-sweep-');
  afterAll(cleanup);

  it('removes old files no row names and the folders a crashed backup or restore left, and nothing else', async () => {
    const store = new AttachmentStore(dir, 1024);
    const old = new Date(Date.now() - 2 * 24 * 60 * 60_000);
    const place = (name: string, folder = false, when = old) => {
      const target = path.join(dir, name);
      if (folder) {
        mkdirSync(target, { recursive: true });
        writeFileSync(path.join(target, '0b0e3f2c-8a1d-4c5e-9f00-123456789abc'), 'held');
      } else writeFileSync(target, 'bytes');
      utimesSync(target, when, when);
      return target;
    };
    const orphan = place('11111111-2222-4333-8444-555555555555');
    const known = place('66666666-7777-4888-9999-000000000000');
    const crashedBackup = place('.backup-123-abcd', true);
    const crashedRestore = place('.restore-456-ef01', true);
    const runningRestore = place('.restore-789-2345', true, new Date());
    const foreign = place('notes.txt');

    const removed = await store.sweep(async (name) => name === path.basename(known));
    expect(removed).toBe(1);
    expect([orphan, known, crashedBackup, crashedRestore, runningRestore, foreign].map((target) => existsSync(target))).toEqual([false, true, false, false, true, true]);
  });
});
