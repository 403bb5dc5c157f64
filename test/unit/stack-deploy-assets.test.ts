import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (f: string) => readFileSync(f, 'utf8');

describe('.env.example', () => {
  const documented = new Set(
    [...read('.env.example').matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]),
  );

  it('lists every variable of the deployment guide', () => {
    const guide = [
      'OPENAI_API_KEY',
      'OPENROUTER_API_KEY',
      'ANTHROPIC_API_KEY',
      'NEXT_PUBLIC_AI_SEARCH_ENABLED',
      'NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE',
      'AI_SEARCH_INTERNAL_USERS',
      'AI_SEARCH_BETA_USERS',
      'ENABLE_AI_SEARCH_MONITORING',
      'AI_SEARCH_LOG_LEVEL',
      'COST_TRACKING_ENABLED',
      'AI_SEARCH_CACHE_TTL',
      'AI_SEARCH_MAX_CONCURRENT_REQUESTS',
      'AI_SEARCH_TIMEOUT',
      'AI_SEARCH_RATE_LIMIT',
      'AI_SEARCH_MAX_TOKENS_PER_REQUEST',
    ];
    expect(guide.filter((v) => !documented.has(v))).toEqual([]);
  });

  it('lists every variable src/shared/config.ts reads', () => {
    const text = read('src/shared/config.ts');
    const read_ = [...text.matchAll(/r\.(?:raw|get)\(\s*'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]);
    const perProvider = ['OPENAI', 'OPENROUTER', 'ANTHROPIC'].flatMap((p) =>
      ['API_KEY', 'BASE_URL', 'MODEL'].map((s) => `${p}_${s}`),
    );
    expect(read_.length).toBeGreaterThan(15);
    expect([...read_, ...perProvider].filter((v) => !documented.has(v))).toEqual([]);
  });
});

// A Dockerfile as instructions (continuation lines joined, comments dropped), split into stages.
interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly lines: readonly string[];
}
function dockerStages(text: string): Stage[] {
  const lines = text
    .replace(/\\\n(?:\s*#.*\n)*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const stages: { from: string; name: string | undefined; lines: string[] }[] = [];
  for (const line of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) stages.push({ from: from[1] as string, name: from[2], lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const stages = dockerStages(text);
  const build = stages[0] as Stage;
  const runtime = stages.at(-1) as Stage;
  const runtimeText = runtime.lines.join('\n');

  it('builds in a first stage: npm ci, npm run build, then npm prune --omit=dev', () => {
    expect(stages.length).toBe(2);
    expect(build.from).toMatch(/^node:20/);
    const steps = build.lines.filter((l) => l.startsWith('RUN')).join('\n');
    const order = ['npm ci', 'npm run build', 'npm prune --omit=dev'].map((s) => steps.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('runs on the same base it was built on (better-sqlite3 is a native addon: same libc, same ABI)', () => {
    expect(runtime.from).toBe(build.from);
    expect(runtime.from).toMatch(/^node:20-[a-z]+-slim$/);
  });

  it('keeps the toolchain, the sources and tsx out of the runtime stage', () => {
    expect(runtimeText).not.toMatch(/apt-get|g\+\+|python3|\bmake\b/);
    expect(runtimeText).not.toMatch(/\btsx\b/);
    expect(runtimeText).not.toMatch(/^COPY (?:--\S+ )*src\b/m);
    expect(runtimeText).not.toMatch(/npm (?:ci|install)/);
    expect(runtimeText).toMatch(new RegExp(`^COPY --from=${build.name} /app/dist \\./dist$`, 'm'));
    expect(runtimeText).toMatch(
      new RegExp(`^COPY --from=${build.name} /app/node_modules \\./node_modules$`, 'm'),
    );
  });

  it('runs dist/ through bin/canary.js, as the unprivileged node user', () => {
    expect(runtimeText).toMatch(/^ENV .*\bCANARY_USE_DIST=1\b/m);
    expect(runtimeText).toMatch(/^ENTRYPOINT \["node", "bin\/canary\.js"\]$/m);
    expect(runtimeText).toMatch(/^CMD \["serve", /m);
    const users = runtime.lines.filter((l) => l.startsWith('USER '));
    expect(users).toEqual(['USER node']);
    // Everything after USER runs unprivileged; nothing after it may need root.
    const after = runtime.lines.slice(runtime.lines.indexOf('USER node') + 1);
    expect(after.filter((l) => l.startsWith('RUN'))).toEqual([]);
  });

  it('probes /healthz and /readyz of the default command with a script that exists', () => {
    const probe = runtime.lines.find((l) => l.startsWith('HEALTHCHECK')) ?? '';
    const cmd = JSON.parse(probe.replace(/^HEALTHCHECK .*?CMD /, '')) as string[];
    expect(cmd.slice(0, 2)).toEqual(['node', 'bin/healthcheck.js']);
    expect(existsSync(cmd[1] as string)).toBe(true);
    const port = /"--port", "(\d+)"/.exec(runtimeText)?.[1];
    expect(cmd.slice(2)).toEqual([
      `http://127.0.0.1:${port}/healthz`,
      `http://127.0.0.1:${port}/readyz`,
    ]);
    expect(runtimeText).toMatch(/^COPY bin \.\/bin$/m);
  });

  it('does not bake the rule files in (they are mounted, from the one ./rules)', () => {
    expect(text).not.toMatch(/^COPY (?:--\S+ )*rules\b/m);
  });

  it('copies only paths that exist', () => {
    const sources = [...text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) =>
      (m[1] as string).split(/\s+/),
    );
    expect(sources.length).toBeGreaterThan(3);
    expect(sources.filter((s) => !existsSync(s))).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  it('has no Compose-v1 version key', () => {
    expect(read('docker-compose.yml')).not.toMatch(/^version:/m);
  });
});
