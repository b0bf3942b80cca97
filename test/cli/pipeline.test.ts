import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('wfhub project pipeline and task override, on the embedded database', () => {
  const { dir, cleanup } = tempDir('wfhub-cli-pipeline-');
  afterAll(cleanup);
  const wfhub = (...args: string[]) => runCli(args, { cwd: dir });

  it("shows and sets a project's pipeline, and refuses a role that does not exist", async () => {
    expect((await wfhub('project', 'add', 'Shop', '--workspace', 'shop')).code).toBe(0);
    const shown = await wfhub('project', 'pipeline', 'Shop');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('Shop: dev → qa → documentation (3 attempts, checks up to 300 s), the default');

    const set = await wfhub('project', 'pipeline', 'shop', '--set', 'pm,dev,qa,security', '--max-attempts', '2', '--json');
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ nodes: ['pm', 'dev', 'qa', 'security'], max_attempts: 2, is_default: false });
    const timeout = await wfhub('project', 'pipeline', 'Shop', '--check-timeout', '60');
    expect(timeout.stdout).toContain('pm → dev → qa → security (2 attempts, checks up to 60 s)');

    const refused = await wfhub('project', 'pipeline', 'Shop', '--set', 'dev,wizard');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('node wizard does not exist');
    expect((await wfhub('project', 'pipeline', 'Shop')).stdout).toContain('pm → dev → qa → security');
  }, 180_000);

  it('says when a task is not in a pipeline, and overrides its gates with who and why', async () => {
    const added = await wfhub('task', 'add', 'Ship it', '--project', 'Shop', '--autopilot', '-c', 'It is shipped', '--check', 'The build passes::npm run build', '--json');
    expect(added.code, added.stderr).toBe(0);
    expect((await wfhub('task', 'show', '1', '--json')).stdout).toContain('"check": "npm run build"');
    const badCheck = await wfhub('task', 'add', 'No check', '--project', 'Shop', '--check', 'just text');
    expect(badCheck.code).not.toBe(0);
    expect(badCheck.stderr).toContain('separated by "::"');
    const none = await wfhub('task', 'pipeline', '1');
    expect(none.stdout).toContain('task 1 is not in a pipeline');

    // On autopilot, "done" by hand is refused: the gates have not passed.
    const refused = await wfhub('task', 'update', '1', '--status', 'done');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('From the command line: wfhub task override 1 --reason "why"');

    const missing = await wfhub('task', 'override', '1');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('--reason');

    const overridden = await wfhub('task', 'override', '1', '--reason', 'Shipped by hand.', '--by', 'Ada');
    expect(overridden.code, overridden.stderr).toBe(0);
    expect(overridden.stdout).toContain('task 1 "Ship it" is done (overridden: Shipped by hand.)');
    const pipeline = await wfhub('task', 'pipeline', '1');
    expect(pipeline.stdout).toContain('overridden:');
    expect(pipeline.stdout).toContain('overridden by Ada: Shipped by hand.');
    expect((await wfhub('task', 'show', '1')).stdout).toContain('Pipeline: overridden:');
    const again = await wfhub('task', 'override', '1', '--reason', 'Twice.', '--by', 'Ada');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is done already');
  }, 180_000);
});
