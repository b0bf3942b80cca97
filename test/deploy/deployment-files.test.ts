import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configVariables, isLoopbackHost, loadConfig, type Config } from '../../src/config/config.js';
import { checkExposure } from '../../src/server/start-server.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';
import {
  copyInstruction,
  dockerignorePatterns,
  envInstruction,
  execForm,
  healthcheckInstruction,
  instructions,
  interpolateAll,
  isDockerIgnored,
  parseDockerfile,
  parseYamlSubset,
  words,
  type DockerStage,
  type YamlValue,
} from './deploy-parsers.js';

/**
 * The Dockerfile, docker/docker-compose.yml and docker/Caddyfile cannot be run here (no Docker
 * engine), so they are read against what the code really does: the start command, the files the
 * start reads, the configuration's variables and rules, the health route, the services they name.
 */

const root = path.resolve(import.meta.dirname, '../..');
const read = (relative: string) => readFileSync(path.join(root, relative), 'utf8');

const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string>; files: string[]; engines: { node: string } };
const stages = parseDockerfile(read('Dockerfile'));
const runtime = stages.at(-1)!;
const composeFile = parseYamlSubset(read('docker/docker-compose.yml'));
const ignorePatterns = dockerignorePatterns(read('.dockerignore'));

/** Every variable the configuration reads, by its own name (aliases are for old setups). */
const configNames: string[] = Object.values(configVariables).map((variable) => variable.name);

/** What a user sets in the shell or docker/.env: only the required token. */
const userEnv = { WFHUB_TOKEN: 'a-token-for-the-deployment-test' };

type Mapping = { [key: string]: YamlValue };

function asMapping(value: YamlValue | undefined, what: string): Mapping {
  if (value === null || value === undefined || typeof value === 'string' || Array.isArray(value)) throw new Error(`${what} is not a mapping`);
  return value;
}

function asList(value: YamlValue | undefined, what: string): YamlValue[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value;
}

function asString(value: YamlValue | undefined, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} is not a string`);
  return value;
}

/** The compose file with the user's variables put in, as `docker compose config` would show it. */
function composeWith(env: Record<string, string | undefined>) {
  const file = asMapping(interpolateAll(composeFile, env), 'the compose file');
  const services = asMapping(file.services, 'services');
  const service = (name: string) => asMapping(services[name], `service ${name}`);
  return { file, services, service };
}

/** A service's environment as a map, whether written as a map or as NAME=value items. */
function environmentOf(service: Mapping): Record<string, string> {
  const environment = service.environment;
  if (environment === undefined || environment === null) return {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((item) => {
        const text = asString(item, 'an environment item');
        const equals = text.indexOf('=');
        return equals < 0 ? [text, ''] : [text.slice(0, equals), text.slice(equals + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, value === null ? '' : asString(value, name)]));
}

function stageEnv(stage: DockerStage): Record<string, string> {
  return Object.assign({}, ...instructions(stage, 'ENV').map((instruction) => envInstruction(instruction.args)));
}

function workdir(stage: DockerStage): string {
  const last = instructions(stage, 'WORKDIR').at(-1);
  if (!last) throw new Error('the stage has no WORKDIR');
  return last.args;
}

/** The container's environment: the image's ENV, then the compose file's (which wins). */
function containerEnv(env: Record<string, string | undefined> = userEnv): Record<string, string> {
  return { ...stageEnv(runtime), ...environmentOf(composeWith(env).service('wfhub')) };
}

function containerConfig(env: Record<string, string | undefined> = userEnv): Config {
  return loadConfig({ env: containerEnv(env), dotenv: false, cwd: workdir(runtime) });
}

/** The packages the runtime stage installs with apt-get. */
function aptPackages(stage: DockerStage): string[] {
  return instructions(stage, 'RUN').flatMap((instruction) => {
    const install = /apt-get install\s+((?:-[^\s]+\s+)*)([^&;|]+)/.exec(instruction.args);
    return install ? words(install[2]!) : [];
  });
}

/** Runs a command to its end with a clean environment; resolves with its exit code. */
function exitCode(command: string[], env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore', timeout: 20_000 });
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

describe('Dockerfile', () => {
  it('runs what `npm start` runs, under an init that the image installs', () => {
    const start = words(packageJson.scripts.start!);
    const command = start[0] === 'exec' ? start.slice(1) : start;
    const entrypoint = execForm(instructions(runtime, 'ENTRYPOINT').at(-1)?.args ?? '[]') ?? [];
    const cmd = execForm(instructions(runtime, 'CMD').at(-1)?.args ?? '') ?? [];
    // Exec form, so the init (not a shell) is PID 1 and SIGTERM reaches wfhub's own shutdown.
    expect(cmd, 'CMD in exec form').not.toHaveLength(0);
    expect([...entrypoint, ...cmd].slice(-command.length)).toEqual(command);
    expect(existsSync(path.join(root, command[1]!)), `${command[1]} exists`).toBe(true);
    // tini (or another init) is PID 1: agents' processes are reaped, signals forwarded.
    expect(entrypoint[0], 'an init as ENTRYPOINT').toMatch(/tini$/);
    expect(aptPackages(runtime)).toContain(path.basename(entrypoint[0]!));
  });

  it('builds the file the start command loads', () => {
    // bin/wfhub.js imports the bundle; scripts/bundle.mjs writes it; the build stage runs the build.
    const loaded = /new URL\('\.\.\/([^']+)', import\.meta\.url\)/.exec(read('bin/wfhub.js'))?.[1];
    expect(loaded).toBe(/outfile:\s*'([^']+)'/.exec(read('scripts/bundle.mjs'))?.[1]);
    expect(packageJson.scripts.build).toContain('scripts/bundle.mjs');
    const build = stages.find((stage) => stage.name === 'build')!;
    const runs = instructions(build, 'RUN').map((instruction) => instruction.args);
    expect(runs.some((run) => /\bnpm ci\b/.test(run))).toBe(true);
    expect(runs.some((run) => /\bnpm run build\b/.test(run))).toBe(true);
    // The build needs the devDependencies: NODE_ENV=production would make npm leave them out.
    expect(stageEnv(build).NODE_ENV).toBeUndefined();
  });

  it('installs without scripts only while no production dependency needs one', () => {
    const build = stages.find((stage) => stage.name === 'build')!;
    const install = instructions(build, 'RUN').find((instruction) => /\bnpm ci\b/.test(instruction.args))!;
    if (!install.args.includes('--ignore-scripts')) return;
    // A production package with an install script (a native addon, a downloaded binary) would be
    // left broken in the image: the Dockerfile must then run `npm rebuild` for it.
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([name, entry]) => name !== '' && entry.hasInstallScript && !entry.dev)
      .map(([name]) => name);
    expect(withScripts).toEqual([]);
  });

  it('builds and runs on the same Node.js image, one the engines allow', () => {
    const build = stages.find((stage) => stage.name === 'build')!;
    // node_modules moves from one stage to the other: its platform packages (ripgrep, esbuild's) must fit.
    expect(build.base).toBe(runtime.base);
    const major = /^node:(\d+)/.exec(runtime.base)?.[1];
    expect(major, `${runtime.base} is a node image with a major version`).toBeDefined();
    expect(Number(major)).toBeGreaterThanOrEqual(Number(/\d+/.exec(packageJson.engines.node)![0]));
  });

  it('copies into the runtime everything the start path reads', () => {
    const destination = workdir(runtime);
    const copied = instructions(runtime, 'COPY').flatMap((instruction) => {
      const copy = copyInstruction(instruction.args);
      const target = path.posix.resolve(destination, copy.destination);
      return copy.sources.map((source) => (copy.destination.endsWith('/') ? path.posix.join(target, path.posix.basename(source)) : target));
    });
    // What npm publishes (package.json "files"), the package.json the package root is found by,
    // and the production dependencies the bundle leaves external.
    for (const needed of [...packageJson.files, 'package.json', 'node_modules']) {
      expect(copied, `${needed} is copied into ${destination}`).toContain(path.posix.join(destination, needed));
    }
  });

  it('copies only paths that are in the build context or that the build makes', () => {
    const build = stages.find((stage) => stage.name === 'build')!;
    const made = new Set(['node_modules', path.posix.dirname(/outfile:\s*'([^']+)'/.exec(read('scripts/bundle.mjs'))![1]!)]);
    for (const stage of stages) {
      for (const instruction of instructions(stage, 'COPY')) {
        const copy = copyInstruction(instruction.args);
        for (const source of copy.sources) {
          if (copy.from === undefined) {
            if (source === '.') continue;
            expect(existsSync(path.join(root, source)), `line ${instruction.line}: ${source} exists`).toBe(true);
            expect(isDockerIgnored(ignorePatterns, source), `line ${instruction.line}: ${source} is not in .dockerignore`).toBe(false);
            continue;
          }
          expect(copy.from, `line ${instruction.line}: copies from the build stage`).toBe('build');
          const relative = path.posix.relative(workdir(build), source);
          const top = relative.split('/')[0]!;
          if (made.has(top)) continue;
          expect(existsSync(path.join(root, relative)), `line ${instruction.line}: ${relative} exists in the repository`).toBe(true);
          expect(isDockerIgnored(ignorePatterns, relative), `line ${instruction.line}: ${relative} reaches the build`).toBe(false);
        }
      }
    }
  });

  it('sends the build what it needs and leaves out local data and secrets', () => {
    const tsconfig = JSON.parse(read('tsconfig.json')) as { include: string[] };
    const buildPaths = words(packageJson.scripts.build!).filter((word) => word !== '.' && existsSync(path.join(root, word)));
    const entry = /entryPoints:\s*\['([^']+)'\]/.exec(read('scripts/bundle.mjs'))![1]!;
    const needed = ['package.json', 'package-lock.json', ...tsconfig.include, ...buildPaths, entry, ...packageJson.files.filter((file) => file !== 'dist')];
    expect(buildPaths).toEqual(expect.arrayContaining(['tsconfig.json', 'scripts/bundle.mjs']));
    for (const file of needed) expect(isDockerIgnored(ignorePatterns, file), `${file} reaches the build`).toBe(false);
    // The defaults a local run writes to (relative to where it starts), and its .env.
    const defaults = loadConfig({ env: {}, dotenv: false, cwd: root });
    for (const file of ['node_modules', 'web/node_modules', 'dist', '.env', path.relative(root, defaults.dataDir), path.relative(root, defaults.workspacesDir)]) {
      expect(isDockerIgnored(ignorePatterns, file), `${file} stays out of the image`).toBe(true);
    }
  });

  it('sets only variables the configuration reads, with the folders on volumes and the port exposed', () => {
    const env = stageEnv(runtime);
    for (const name of Object.keys(env)) expect(configNames, `ENV ${name} is read by src/config/config.ts`).toContain(name);
    const config = loadConfig({ env: { ...env, ...userEnv }, dotenv: false, cwd: workdir(runtime) });
    const volumes = instructions(runtime, 'VOLUME').flatMap((instruction) => execForm(instruction.args) ?? words(instruction.args));
    expect(volumes).toContain(config.dataDir);
    expect(volumes).toContain(config.workspacesDir);
    const exposed = instructions(runtime, 'EXPOSE').flatMap((instruction) => words(instruction.args).map((port) => Number(port.split('/')[0])));
    expect(exposed).toContain(config.port);
    // Listening beyond loopback: the image cannot start without a token, and says so.
    expect(isLoopbackHost(config.host)).toBe(false);
    expect(() => checkExposure(loadConfig({ env, dotenv: false, cwd: workdir(runtime) }))).toThrow(/WFHUB_TOKEN/);
  });

  it('runs as an unprivileged user who owns the data and workspaces folders', () => {
    const user = instructions(runtime, 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
    const config = loadConfig({ env: { ...stageEnv(runtime), ...userEnv }, dotenv: false, cwd: workdir(runtime) });
    const chown = instructions(runtime, 'RUN').find((instruction) => new RegExp(`chown\\s+${user}\\b`).test(instruction.args));
    expect(chown?.args).toContain(config.dataDir);
    expect(chown?.args).toContain(config.workspacesDir);
  });

  describe('health check', () => {
    let hub: TestHub;
    let port: number;
    const check = healthcheckInstruction(instructions(runtime, 'HEALTHCHECK').at(-1)?.args ?? 'CMD none');
    const command = execForm(check.command) ?? [];

    beforeAll(async () => {
      // The server as the container runs it: with a token, so only public routes answer without one.
      hub = await createTestHub('pglite', { token: userEnv.WFHUB_TOKEN });
      await hub.app.listen({ host: '127.0.0.1', port: 0 });
      port = (hub.app.server.address() as { port: number }).port;
    });
    afterAll(async () => {
      await hub?.close();
    });

    it('is node probing the server, so the image needs no curl', () => {
      expect(command[0]).toBe('node');
      expect(Number.parseFloat(check.options.timeout ?? '30')).toBeLessThanOrEqual(Number.parseFloat(check.options.interval ?? '30'));
    });

    it('passes against a running server with a token, on the port the configuration names', async () => {
      expect((await hub.call('GET', '/projects')).status, 'the token is required elsewhere').toBe(401);
      expect(await exitCode([process.execPath, ...command.slice(1)], { WFHUB_PORT: String(port) })).toBe(0);
    });

    it('fails when nothing answers', async () => {
      const closed = await new Promise<number>((resolve) => {
        const server = createServer();
        server.listen(0, '127.0.0.1', () => {
          const { port: free } = server.address() as { port: number };
          server.close(() => resolve(free));
        });
      });
      expect(await exitCode([process.execPath, ...command.slice(1)], { WFHUB_PORT: String(closed) })).not.toBe(0);
    });
  });
});

describe('docker/docker-compose.yml', () => {
  it('builds the image from the Dockerfile at the repository root', () => {
    const build = asMapping(composeWith(userEnv).service('wfhub').build, 'wfhub.build');
    const context = path.resolve(root, 'docker', asString(build.context, 'build.context'));
    expect(context).toBe(root);
    expect(existsSync(path.join(context, asString(build.dockerfile ?? 'Dockerfile', 'build.dockerfile')))).toBe(true);
  });

  it('sets for wfhub only variables the configuration reads', () => {
    const names = Object.keys(environmentOf(asMapping(asMapping(asMapping(composeFile, 'file').services, 'services').wfhub, 'wfhub')));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(configNames, `${name} is read by src/config/config.ts`).toContain(name);
  });

  it('gives wfhub a valid configuration, and a token since it listens beyond loopback', () => {
    const config = containerConfig();
    expect(isLoopbackHost(config.host)).toBe(false);
    expect(config.token).toBe(userEnv.WFHUB_TOKEN);
    expect(() => checkExposure(config)).not.toThrow();
    // Without the user's token the file does not even interpolate: Compose stops with the message.
    expect(() => composeWith({})).toThrow(/WFHUB_TOKEN/);
  });

  it('points wfhub at the postgres service, with the credentials that service is created with', () => {
    for (const password of [undefined, 'another-password']) {
      const env = { ...userEnv, POSTGRES_PASSWORD: password };
      const config = containerConfig(env);
      const compose = composeWith(env);
      expect(config.databaseKind).toBe('postgres');
      const url = new URL(config.databaseUrl!);
      const postgres = compose.service(url.hostname);
      const postgresEnv = environmentOf(postgres);
      expect(asString(postgres.image, 'image')).toMatch(/^postgres:/);
      expect(decodeURIComponent(url.username)).toBe(postgresEnv.POSTGRES_USER);
      expect(decodeURIComponent(url.password)).toBe(postgresEnv.POSTGRES_PASSWORD);
      expect(url.pathname.slice(1)).toBe(postgresEnv.POSTGRES_DB);
      expect(url.port || '5432').toBe('5432');
      // wfhub starts once the database accepts connections.
      const test = asList(asMapping(postgres.healthcheck, 'postgres.healthcheck').test, 'healthcheck.test').map((part) => asString(part, 'test'));
      expect(test).toContain('pg_isready');
      expect(test[test.indexOf('-U') + 1]).toBe(postgresEnv.POSTGRES_USER);
      expect(asMapping(asMapping(compose.service('wfhub').depends_on, 'depends_on')[url.hostname], url.hostname).condition).toBe('service_healthy');
    }
  });

  it('points wfhub at the ollama service, which pulls the model wfhub uses before wfhub starts', () => {
    for (const model of [undefined, 'llama3.2:1b']) {
      const env = { ...userEnv, WFHUB_MODEL: model };
      const config = containerConfig(env);
      const compose = composeWith(env);
      const ollamaUrl = new URL(config.ollamaHost);
      const ollama = compose.service(ollamaUrl.hostname);
      expect(asString(ollama.image, 'image')).toMatch(/^ollama\/ollama/);
      // The port Ollama listens on in its image (OLLAMA_HOST=0.0.0.0:11434), unless the service moves it.
      expect(ollamaUrl.port).toBe(environmentOf(ollama).OLLAMA_HOST?.split(':').at(-1) ?? '11434');
      expect(ollama.healthcheck).toBeDefined();

      const [pullName, pull] = Object.entries(compose.services).find(([, service]) => {
        const entrypoint = asMapping(service, 'service').entrypoint;
        return Array.isArray(entrypoint) && entrypoint.includes('pull');
      })!;
      const pullService = asMapping(pull, pullName);
      expect(asList(pullService.entrypoint, 'entrypoint')).toEqual(['ollama', 'pull', config.model]);
      expect(environmentOf(pullService).OLLAMA_HOST).toBe(config.ollamaHost);
      expect(pullService.restart).toBe('no');
      expect(asMapping(asMapping(pullService.depends_on, 'depends_on')[ollamaUrl.hostname], 'ollama').condition).toBe('service_healthy');
      expect(asMapping(asMapping(compose.service('wfhub').depends_on, 'depends_on')[pullName], pullName).condition).toBe('service_completed_successfully');
    }
  });

  it('keeps the data dir and the workspaces on named volumes', () => {
    const config = containerConfig();
    const compose = composeWith(userEnv);
    const declared = Object.keys(asMapping(compose.file.volumes, 'volumes'));
    const mounts = asList(compose.service('wfhub').volumes, 'wfhub.volumes').map((item) => {
      const [source, target] = asString(item, 'volume').split(':');
      return { source: source!, target: target! };
    });
    for (const folder of [config.dataDir, config.workspacesDir]) {
      const mount = mounts.find((candidate) => candidate.target === folder);
      expect(mount, `${folder} is a volume`).toBeDefined();
      expect(declared).toContain(mount!.source);
    }
  });

  it('publishes the port wfhub listens on, and waits for running runs when stopping', () => {
    const config = containerConfig();
    const wfhub = composeWith(userEnv).service('wfhub');
    const ports = asList(wfhub.ports, 'ports').map((item) => Number(asString(item, 'port').split('/')[0]!.split(':').at(-1)));
    expect(ports).toContain(config.port);
    const grace = /^(\d+)s$/.exec(asString(wfhub.stop_grace_period, 'stop_grace_period'));
    expect(Number(grace?.[1]), 'stop_grace_period outlasts WFHUB_SHUTDOWN_GRACE').toBeGreaterThan(config.shutdownGrace);
    // The embedded database's lock names the host: a stable one lets a recreated container take it over.
    expect(wfhub.hostname).toBeTypeOf('string');
  });

  it('lets bubblewrap make its sandbox when the sandbox is on', () => {
    for (const sandbox of [undefined, 'auto', 'bwrap']) {
      const env = { ...userEnv, WFHUB_SANDBOX: sandbox };
      if (containerConfig(env).sandbox === 'off') continue;
      const options = asList(composeWith(env).service('wfhub').security_opt ?? [], 'security_opt');
      // The probe (src/agent/tools/sandbox.ts) mounts a fresh /proc in new namespaces: Docker's
      // seccomp profile and its masked /proc paths both refuse that.
      expect(options).toContain('systempaths=unconfined');
      expect(options.some((option) => /^seccomp[=:]/.test(asString(option, 'option')))).toBe(true);
      expect(aptPackages(runtime)).toContain('bubblewrap');
    }
  });

  it('serves HTTPS through Caddy, behind the https profile, to the port wfhub listens on', () => {
    const config = containerConfig();
    const compose = composeWith(userEnv);
    const caddy = compose.service('caddy');
    expect(asList(caddy.profiles, 'profiles')).toContain('https');
    const caddyfileMount = asList(caddy.volumes, 'caddy.volumes')
      .map((item) => asString(item, 'volume').split(':'))
      .find(([, target]) => target === '/etc/caddy/Caddyfile');
    expect(caddyfileMount).toBeDefined();
    const caddyfile = path.resolve(root, 'docker', caddyfileMount![0]!);
    expect(existsSync(caddyfile)).toBe(true);

    const text = readFileSync(caddyfile, 'utf8').replace(/#.*$/gm, '');
    expect(text).toMatch(/^\s*tls\s+internal\s*$/m);
    const upstream = /^\s*reverse_proxy\s+(\S+)\s*$/m.exec(text)?.[1];
    expect(upstream).toBeDefined();
    // {$NAME:default}: Caddy's own environment substitution; in compose, the default applies.
    const target = upstream!.replace(/^\{\$\w+:(.*)\}$/, '$1');
    const [host, port] = target.split(':');
    expect(Object.keys(compose.services)).toContain(host);
    expect(host).toBe('wfhub');
    expect(Number(port)).toBe(config.port);
  });
});
