import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { secretHider } from '../../src/core/hide-secrets.js';
import { ConfigError, isLoopbackHost, loadConfig, secretValues } from '../../src/config/config.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('configuration', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

  it('has defaults that serve on loopback with the embedded database', () => {
    const config = loadConfig({ env: {}, dotenv: false, cwd: '/srv/app' });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8002,
      dataDir: '/srv/app/.wfhub',
      workspacesDir: '/srv/app/workspaces',
      databaseKind: 'pglite',
      ollamaHost: 'http://127.0.0.1:11434',
      model: 'qwen2.5-coder:3b',
      attachmentMaxBytes: 10 * 1024 * 1024,
    });
    expect(config.token).toBeUndefined();
    expect(config.databaseUrl).toBeUndefined();
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      dotenv: false,
      cwd: '/srv',
      env: {
        WFHUB_HOST: '0.0.0.0',
        WFHUB_PORT: '9000',
        WFHUB_DATA_DIR: '/var/lib/wfhub',
        WFHUB_WORKSPACES_DIR: 'ws',
        DATABASE_URL: 'postgres://user:pw@db:5432/wfhub',
        OLLAMA_HOST: 'http://gpu-box:11434/',
        WFHUB_MODEL: 'qwen3:4b',
        WFHUB_TOKEN: 'a-long-secret',
        ATTACHMENT_MAX_BYTES: '2048',
        GIT_USER_NAME: 'Bot',
        GIT_USER_EMAIL: 'bot@example.com',
      },
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      dataDir: '/var/lib/wfhub',
      workspacesDir: '/srv/ws',
      databaseUrl: 'postgres://user:pw@db:5432/wfhub',
      databaseKind: 'postgres',
      ollamaHost: 'http://gpu-box:11434',
      model: 'qwen3:4b',
      token: 'a-long-secret',
      attachmentMaxBytes: 2048,
      gitUserName: 'Bot',
      gitUserEmail: 'bot@example.com',
    });
  });

  it('accepts the compatibility names PORT, WORKSPACES_DIR and OLLAMA_API_BASE', () => {
    const config = loadConfig({
      dotenv: false,
      cwd: '/srv',
      env: { PORT: '7000', WORKSPACES_DIR: '/data/ws', OLLAMA_API_BASE: 'http://127.0.0.1:11435' },
    });
    expect(config.port).toBe(7000);
    expect(config.workspacesDir).toBe('/data/ws');
    expect(config.ollamaHost).toBe('http://127.0.0.1:11435');
  });

  it.each([
    ['0.0.0.0', 'http://127.0.0.1:11434'],
    ['0.0.0.0:11500', 'http://127.0.0.1:11500'],
    ['gpu-box', 'http://gpu-box:11434'],
    ['localhost:11500', 'http://localhost:11500'],
    ['[::]:8080', 'http://[::1]:8080'],
    ['https://ollama.example.com', 'https://ollama.example.com'],
  ])('reads OLLAMA_HOST=%s the way Ollama does, as %s', (value, expected) => {
    expect(loadConfig({ dotenv: false, env: { OLLAMA_HOST: value } }).ollamaHost).toBe(expected);
  });

  it('reads the agent settings, with their defaults', () => {
    const defaults = loadConfig({ dotenv: false, env: {} });
    expect(defaults).toMatchObject({ llmProvider: 'ollama', numCtx: 16384, toolProtocol: 'auto', sandbox: 'auto', firstTokenTimeout: 300, maxSteps: 40, maxRunMinutes: 30 });
    expect(defaults.tokenBudget).toBeUndefined();
    const set = loadConfig({
      dotenv: false,
      env: { WFHUB_LLM_PROVIDER: 'openai', OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1/', WFHUB_NUM_CTX: '8192', WFHUB_SANDBOX: 'bwrap', WFHUB_FIRST_TOKEN_TIMEOUT: '0.5', WFHUB_TOKEN_BUDGET: '50000' },
    });
    expect(set).toMatchObject({ llmProvider: 'openai', openaiBaseUrl: 'http://127.0.0.1:8080/v1', numCtx: 8192, sandbox: 'bwrap', firstTokenTimeout: 0.5, tokenBudget: 50000 });
    expect(() => loadConfig({ dotenv: false, env: { WFHUB_SANDBOX: 'docker' } })).toThrow(/WFHUB_SANDBOX="docker" must be "auto", "bwrap" or "off"/);
    expect(() => loadConfig({ dotenv: false, env: { WFHUB_NUM_CTX: '1000' } })).toThrow(/WFHUB_NUM_CTX/);
    expect(() => loadConfig({ dotenv: false, env: { OPENAI_API_KEY: '' , WFHUB_LLM_PROVIDER: 'anthropic' } })).toThrow(/WFHUB_LLM_PROVIDER/);
  });

  it('prefers the wfhub name over its alias, and explicit options over both', () => {
    const env = { WFHUB_PORT: '8100', PORT: '8200' };
    expect(loadConfig({ env, dotenv: false }).port).toBe(8100);
    expect(loadConfig({ env, dotenv: false, overrides: { port: 8300 } }).port).toBe(8300);
  });

  it('reads .env for what the environment does not set', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    writeFileSync(path.join(dir, '.env'), 'WFHUB_PORT=8111\nWFHUB_MODEL=qwen3:4b\n# a comment\n');
    const config = loadConfig({ cwd: dir, env: { WFHUB_MODEL: 'from-env' } });
    expect(config.port).toBe(8111);
    expect(config.model).toBe('from-env');
  });

  it.each([
    ['WFHUB_PORT', 'eighty'],
    ['WFHUB_PORT', '70000'],
    ['PORT', '1.5'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['OLLAMA_HOST', 'not a url'],
    ['ATTACHMENT_MAX_BYTES', '-5'],
    ['WFHUB_TOKEN', 'short'],
    ['WFHUB_LOG_LEVEL', 'loud'],
  ])('stops with a message naming %s, the variable that was set, when it is %j', (variable, value) => {
    let error: unknown;
    try {
      loadConfig({ env: { [variable]: value }, dotenv: false });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message).toContain(`${variable}=`);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ env: { WFHUB_PORT: '', DATABASE_URL: '' }, dotenv: false })).toMatchObject({
      port: 8002,
      databaseKind: 'pglite',
    });
  });

  it('knows which hosts are loopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.0.2', 'example.com']) expect(isLoopbackHost(host), host).toBe(false);
  });
});

describe('configuration errors', () => {
  it('never repeat a secret value', () => {
    expect(() => loadConfig({ env: { WFHUB_TOKEN: 'hunter2' }, dotenv: false })).toThrow(/WFHUB_TOKEN=\(hidden\)/);
    let message = '';
    try {
      loadConfig({ env: { DATABASE_URL: 'mysql://admin:S3cret@db/app' }, dotenv: false });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain('S3cret');
  });

  it('point at the command-line option when that is where the bad value came from', () => {
    expect(() => loadConfig({ env: {}, dotenv: false, overrides: { port: 'abc' } })).toThrow(/command-line option/);
  });
});

describe('the secrets logs hide', () => {
  const hide = (config: Parameters<typeof secretValues>[0], text: string) => secretHider(secretValues(config))(text);

  it('hide the token, the API key and the database password, but not the address of a database without one', () => {
    const config = { token: 'token-0123456789', openaiApiKey: 'sk-abcdefghijkl', databaseUrl: 'postgres://wfhub:p%40ssword-long@db:5432/wfhub' };
    expect(hide(config, 'token-0123456789 sk-abcdefghijkl p@ssword-long p%40ssword-long')).toBe('[redacted] [redacted] [redacted] [redacted]');
    expect(hide({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/wfhub' }, 'data in postgres://postgres@127.0.0.1:5432/wfhub')).toBe(
      'data in postgres://postgres@127.0.0.1:5432/wfhub',
    );
  });

  it('hide a whole database URL whose password is too short to hide alone, and one that is not a URL', () => {
    expect(hide({ databaseUrl: 'postgres://u:pw@db/wfhub' }, 'at postgres://u:pw@db/wfhub')).toBe('at [redacted]');
    expect(hide({ databaseUrl: 'host=db password=secret-word' }, 'at host=db password=secret-word')).toBe('at [redacted]');
  });
});
