import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('wfhub models', () => {
  const { dir, cleanup } = tempDir('wfhub-cli-models-');
  let ollama: FakeOllama;
  const wfhub = (...args: string[]) => runCli(args, { cwd: dir, env: { OLLAMA_HOST: ollama.url, WFHUB_MODEL: 'qwen2.5-coder:3b' } });

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
  });
  afterAll(async () => {
    await ollama?.stop();
    cleanup();
  });

  it('lists what the model server has, marks the models wfhub uses, and says how to get a missing one', async () => {
    ollama.models = [{ name: 'qwen2.5-coder:3b', parameter_size: '3.1B' }];
    const listed = await wfhub('models');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/qwen2\.5-coder:3b\s+3\.1B\s+\S+ \S+\s+WFHUB_MODEL/);
    expect(listed.stdout).toContain('gemma3:4b is not there: wfhub models pull gemma3:4b');
    expect(JSON.parse((await wfhub('models', 'list', '--json')).stdout)).toMatchObject([{ name: 'qwen2.5-coder:3b' }]);
  }, 120_000);

  it('pulls a model with its progress, and says plainly when it cannot', async () => {
    ollama.pullable = { 'gemma3:4b': 3_338_801_804 };
    const pulled = await wfhub('models', 'pull', 'gemma3:4b');
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout.trim()).toBe('pulled gemma3:4b');
    // Not a terminal: each status once, and the download by tenths.
    expect(pulled.stderr).toContain('pulling manifest');
    expect(pulled.stderr).toMatch(/pulling 2bada8a74506 0% of 3\.1 GB\n[\s\S]*pulling 2bada8a74506 50% of 3\.1 GB\n[\s\S]*pulling 2bada8a74506 100% of 3\.1 GB/);
    expect(pulled.stderr).toContain('writing manifest');
    expect((await wfhub('models')).stdout).toMatch(/gemma3:4b.*WFHUB_VISION_MODEL/);

    const unknown = await wfhub('models', 'pull', 'no-such-model:1b');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error: pull model manifest: file does not exist');
    const away = await runCli(['models', 'pull', 'gemma3:4b'], { cwd: dir, env: { OLLAMA_HOST: 'http://127.0.0.1:9' } });
    expect(away.code).toBe(1);
    expect(away.stderr).toContain('start Ollama (ollama serve), or set OLLAMA_HOST');
    const openai = await runCli(['models', 'pull', 'gemma3:4b'], { cwd: dir, env: { WFHUB_LLM_PROVIDER: 'openai' } });
    expect(openai.code).toBe(1);
    expect(openai.stderr).toContain('works with Ollama');
  }, 120_000);

  it('makes a variant with a fixed window and temperature 0', async () => {
    ollama.models = [{ name: 'qwen2.5-coder:3b', contextLength: 32768 }];
    const tuned = await wfhub('models', 'tune', 'qwen2.5-coder:3b', '--num-ctx', '16384');
    expect(tuned.code, tuned.stderr).toBe(0);
    expect(tuned.stdout).toContain('made qwen2.5-coder:3b-ctx16384 from qwen2.5-coder:3b (num_ctx 16384, temperature 0): use it with WFHUB_MODEL=qwen2.5-coder:3b-ctx16384');
    expect(ollama.createRequests.at(-1)).toMatchObject({ model: 'qwen2.5-coder:3b-ctx16384', from: 'qwen2.5-coder:3b', parameters: { num_ctx: 16384, temperature: 0 } });
    expect((await wfhub('models')).stdout).toContain('qwen2.5-coder:3b-ctx16384');

    const named = await wfhub('models', 'tune', 'qwen2.5-coder:3b', '--num-ctx', '8192', '--as', 'coder-small');
    expect(named.stdout).toContain('made coder-small from qwen2.5-coder:3b');
    const missing = await wfhub('models', 'tune', 'absent:7b', '--num-ctx', '8192');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("model 'absent:7b' not found");
    const tooSmall = await wfhub('models', 'tune', 'qwen2.5-coder:3b', '--num-ctx', '100');
    expect(tooSmall.code).not.toBe(0);
    expect(tooSmall.stderr).toContain('expected a whole number from 2048 to 1048576');
  }, 120_000);
});
