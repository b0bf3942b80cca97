import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('wfhub project webhooks, on the embedded database', () => {
  const { dir, cleanup } = tempDir('wfhub-cli-webhooks-');
  afterAll(cleanup);
  const wfhub = (...args: string[]) => runCli(args, { cwd: dir });

  it('adds a webhook showing its secret once, lists it with only a hint of it, and removes it', async () => {
    expect((await wfhub('project', 'add', 'Shop', '--workspace', 'shop')).code).toBe(0);
    const empty = await wfhub('project', 'webhooks', 'Shop');
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toContain('Shop has no webhooks: add one with');

    const added = await wfhub('project', 'webhooks', 'shop', '--add', 'https://hooks.example.com/wfhub', '--events', 'run.finished', '--json');
    expect(added.code, added.stderr).toBe(0);
    const created = JSON.parse(added.stdout);
    expect(created).toMatchObject({ url: 'https://hooks.example.com/wfhub', events: ['run.finished'], active: true });
    expect(created.secret.length).toBeGreaterThanOrEqual(32);

    const listed = await wfhub('project', 'webhooks', 'Shop');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('https://hooks.example.com/wfhub');
    expect(listed.stdout).toContain('run.finished');
    expect(listed.stdout).toContain(created.secret.slice(-4));
    expect(listed.stdout).not.toContain(created.secret);

    const badEvent = await wfhub('project', 'webhooks', 'Shop', '--add', 'https://hooks.example.com/2', '--events', 'run.started');
    expect(badEvent.code).not.toBe(0);
    expect(badEvent.stderr).toMatch(/run\.started/);
    const badUrl = await wfhub('project', 'webhooks', 'Shop', '--add', 'ftp://hooks.example.com/');
    expect(badUrl.code).not.toBe(0);
    expect(badUrl.stderr).toMatch(/http/);

    const wrong = await wfhub('project', 'webhooks', 'Shop', '--remove', String(created.id + 100));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`Shop has no webhook ${created.id + 100}`);
    const removed = await wfhub('project', 'webhooks', 'Shop', '--remove', String(created.id));
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain(`removed webhook ${created.id} from Shop`);
    expect((await wfhub('project', 'webhooks', 'Shop')).stdout).toContain('Shop has no webhooks');
  }, 180_000);
});
