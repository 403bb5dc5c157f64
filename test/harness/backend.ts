// How the harness runs Prometheus and Alertmanager: the local binaries when they are on PATH
// (Debian packages `prometheus`, `prometheus-alertmanager`), else a container when a Docker engine
// answers, else a clear error that says how to install them.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { launch, which, type ManagedProcess } from './process.js';

export type Tool = 'prometheus' | 'alertmanager';

interface ToolInfo {
  readonly binaries: readonly string[];
  readonly image: string;
  readonly entrypoint: string;
  readonly debianPackage: string;
}

const TOOLS: Record<Tool, ToolInfo> = {
  prometheus: {
    binaries: ['prometheus'],
    image: 'prom/prometheus:v2.42.0',
    entrypoint: '/bin/prometheus',
    debianPackage: 'prometheus',
  },
  alertmanager: {
    // Debian installs Alertmanager as prometheus-alertmanager.
    binaries: ['prometheus-alertmanager', 'alertmanager'],
    image: 'prom/alertmanager:v0.25.0',
    entrypoint: '/bin/alertmanager',
    debianPackage: 'prometheus-alertmanager',
  },
};

export type Backend =
  | { readonly kind: 'binary'; readonly path: string }
  | { readonly kind: 'docker'; readonly image: string; readonly entrypoint: string };

export interface Probes {
  which(name: string): string | undefined;
  dockerAnswers(): boolean;
}

const realProbes: Probes = {
  which: (name) => which(name),
  dockerAnswers: () => {
    try {
      execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
        stdio: 'ignore',
        timeout: 3000,
      });
      return true;
    } catch {
      return false;
    }
  },
};

export class MissingToolError extends Error {
  constructor(tool: Tool) {
    const pkg = TOOLS[tool].debianPackage;
    super(
      `${tool} is not installed: none of ${TOOLS[tool].binaries.join(', ')} is on PATH and no ` +
        `Docker engine answers. Install it with:\n  sudo apt-get update && sudo apt-get install -y ${pkg}\n` +
        `(or run scripts/ensure-tools.sh, which does this when it can).`,
    );
    this.name = 'MissingToolError';
  }
}

/** Picks the backend for a tool; pure given its probes, so the choice itself is unit-tested. */
export function chooseBackend(tool: Tool, probes: Probes = realProbes): Backend {
  const info = TOOLS[tool];
  for (const bin of info.binaries) {
    const found = probes.which(bin);
    if (found) return { kind: 'binary', path: found };
  }
  if (probes.dockerAnswers()) {
    return { kind: 'docker', image: info.image, entrypoint: info.entrypoint };
  }
  throw new MissingToolError(tool);
}

/**
 * Starts the tool with `args`. With Docker, the container shares the host network (so the
 * 127.0.0.1 addresses in the args and in scrape targets mean the same thing) and `dirs` are
 * mounted at the same paths.
 */
export function startTool(
  backend: Backend,
  args: readonly string[],
  dirs: readonly string[],
  name: string,
): ManagedProcess {
  if (backend.kind === 'binary') return launch(backend.path, args, name);
  const container = `canary-test-${name}-${randomUUID().slice(0, 8)}`;
  const mounts = dirs.flatMap((d) => ['-v', `${d}:${d}`]);
  const proc = launch(
    'docker',
    [
      'run',
      '--rm',
      '--name',
      container,
      '--network',
      'host',
      '--user',
      `${process.getuid?.() ?? 0}`,
      ...mounts,
      '--entrypoint',
      backend.entrypoint,
      backend.image,
      ...args,
    ],
    name,
  );
  const removeContainer = () => {
    try {
      execFileSync('docker', ['rm', '-f', container], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // already gone
    }
  };
  // The docker client is not the server: stopping it must also remove the container.
  return {
    ...proc,
    async stop(graceMs) {
      await proc.stop(graceMs);
      removeContainer();
    },
    async kill(signal) {
      if (signal === 'SIGKILL') removeContainer();
      await proc.kill(signal);
    },
  };
}
