// `canary chaos`: sets faults on a running LLM simulator over its control API. Without a
// provider the new settings replace everything (so `--ai-error-rate 0` ends every incident);
// with one, only that provider's settings change.
import {
  effectiveFaults,
  parseFaults,
  SIM_PROVIDERS,
  type Faults,
  type FaultMode,
  type ProviderFaults,
  type SimProvider,
} from './faults.js';

export interface ChaosRequest {
  readonly url: string;
  readonly errorRate: number;
  readonly latencyMs?: number;
  readonly status?: number;
  readonly mode?: FaultMode;
  readonly provider?: SimProvider;
}

export class ChaosError extends Error {
  constructor(
    message: string,
    /** 2 when the input was wrong, 1 when the simulator could not be reached or refused. */
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = 'ChaosError';
  }
}

async function call(url: string, init?: RequestInit): Promise<Faults> {
  const target = `${url.replace(/\/+$/, '')}/__control/faults`;
  let res: Response;
  try {
    res = await fetch(target, { ...init, signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw new ChaosError(
      `Cannot reach the LLM simulator at ${url} (${(err as Error).message}). Start it with \`canary llm-sim\` or pass --url / LLM_SIM_URL.`,
      1,
    );
  }
  const text = await res.text();
  if (!res.ok)
    throw new ChaosError(
      `The LLM simulator refused the faults (HTTP ${res.status}): ${text}`,
      res.status === 400 ? 2 : 1,
    );
  return JSON.parse(text) as Faults;
}

export function getFaults(url: string): Promise<Faults> {
  return call(url);
}

export function buildFaults(current: Faults, req: ChaosRequest): Faults {
  const own: ProviderFaults = {
    errorRate: req.errorRate,
    ...(req.latencyMs !== undefined ? { latencyMs: req.latencyMs } : {}),
    ...(req.status !== undefined ? { status: req.status } : {}),
    ...(req.mode !== undefined ? { mode: req.mode } : {}),
  };
  if (!req.provider) return own;
  return { ...current, providers: { ...current.providers, [req.provider]: own } };
}

export async function setChaos(req: ChaosRequest): Promise<Faults> {
  const current = req.provider ? await getFaults(req.url) : {};
  const next = buildFaults(current, req);
  const checked = parseFaults(next);
  if (!checked.ok) throw new ChaosError(`Invalid faults: ${checked.error}`, 2);
  return call(req.url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(checked.faults),
  });
}

/** One line per scope, for people: "all providers: 20% errors (HTTP 500), +0 ms". */
export function describeFaults(faults: Faults): string {
  const line = (scope: string, f: ProviderFaults) => {
    const rate = f.errorRate ?? 0;
    const mode = f.mode ?? 'error';
    const what =
      rate === 0
        ? 'no injected failures'
        : `${+(rate * 100).toFixed(2)}% ${mode === 'error' ? `errors (HTTP ${f.status ?? 500})` : `${mode} answers`}`;
    return `${scope}: ${what}, +${f.latencyMs ?? 0} ms latency`;
  };
  const lines = [line('all providers', faults)];
  for (const name of SIM_PROVIDERS) {
    if (faults.providers?.[name]) lines.push(line(name, effectiveFaults(faults, name)));
  }
  return lines.join('\n');
}
