// The simulator's closed lists, apart from the zod schema in faults.ts so that `canary chaos --help`
// can show the choices without loading a validator.
export const SIM_PROVIDERS = ['openai', 'openrouter', 'anthropic'] as const;
export type SimProvider = (typeof SIM_PROVIDERS)[number];

export const FAULT_MODES = ['error', 'garbage', 'injection', 'timeout'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];
