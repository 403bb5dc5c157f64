// The simulator's fault settings: what `PUT /__control/faults` accepts, validated once with zod,
// and how the global settings and a provider's own settings combine into the faults one request
// sees. A PUT replaces everything, so `{ "errorRate": 0 }` ends every incident at once.
import { z } from 'zod';
import { FAULT_MODES, SIM_PROVIDERS, type FaultMode, type SimProvider } from './fault-names.js';

export { FAULT_MODES, SIM_PROVIDERS, type FaultMode, type SimProvider };

const faultFields = {
  /** Share of requests that get the fault, 0..1. */
  errorRate: z.number().min(0).max(1).optional(),
  /** Extra latency added to every request, on top of the latency model. */
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  /** HTTP status of an injected error (mode "error"). */
  status: z.number().int().min(400).max(599).optional(),
  /** error: an HTTP error; garbage: 200 with text that is not JSON; injection: 200 with JSON
   *  carrying injected instructions; timeout: no answer until the client gives up. */
  mode: z.enum(FAULT_MODES).optional(),
  /** Only requests whose query contains this text (case-insensitive) get the fault: a model that
   *  reliably fails on some well-formed queries, as real ones do. */
  queryContains: z.string().min(1).max(200).optional(),
};

const ProviderFaultsSchema = z.object(faultFields).strict();

export const FaultsSchema = z
  .object({
    ...faultFields,
    providers: z
      .object({
        openai: ProviderFaultsSchema.optional(),
        openrouter: ProviderFaultsSchema.optional(),
        anthropic: ProviderFaultsSchema.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type Faults = z.infer<typeof FaultsSchema>;
export type ProviderFaults = z.infer<typeof ProviderFaultsSchema>;

/** The faults one request sees, every field resolved. */
export interface EffectiveFaults {
  readonly errorRate: number;
  readonly latencyMs: number;
  readonly status: number;
  readonly mode: FaultMode;
  /** Lower case; undefined means every request. */
  readonly queryContains: string | undefined;
}

export const NO_FAULTS: Faults = Object.freeze({ errorRate: 0, latencyMs: 0 });

/** Parses untrusted input; the error names each bad field, for a 400 answer or a CLI message. */
export function parseFaults(
  input: unknown,
): { ok: true; faults: Faults } | { ok: false; error: string } {
  const r = FaultsSchema.safeParse(input);
  if (r.success) return { ok: true, faults: r.data };
  const problems = r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  return { ok: false, error: problems.join('; ') };
}

/** A provider's own settings win over the global ones, field by field. */
export function effectiveFaults(faults: Faults, provider: SimProvider): EffectiveFaults {
  const own = faults.providers?.[provider] ?? {};
  return {
    errorRate: own.errorRate ?? faults.errorRate ?? 0,
    latencyMs: own.latencyMs ?? faults.latencyMs ?? 0,
    status: own.status ?? faults.status ?? 500,
    mode: own.mode ?? faults.mode ?? 'error',
    queryContains: (own.queryContains ?? faults.queryContains)?.toLowerCase(),
  };
}
