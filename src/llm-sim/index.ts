// The LLM simulator's public surface.
export {
  startLlmSimulator,
  type LlmSimulator,
  type LlmSimulatorOptions,
  type SimulatorStats,
} from './server.js';
export { DEFAULT_LATENCY, type LatencyModel } from './chat-handler.js';
export {
  FAULT_MODES,
  FaultsSchema,
  parseFaults,
  type Faults,
  type FaultMode,
  type SimProvider,
} from './faults.js';
export * from './vocabulary.js';
