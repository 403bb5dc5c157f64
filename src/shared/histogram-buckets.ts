// The bucket bounds of every histogram the search service exports. Constants only, with no
// imports, so the rollout's plan loader can check a latency threshold against the search histogram
// without loading the service's metrics SDK.
export const BUCKETS = {
  // API latency: fine below one second (the 200 ms target), up to an AI search's minute.
  http: [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30,
    60,
  ],
  // A whole search: keyword in milliseconds, AI up to the 30 s timeout (2 s = slow_response_time).
  search: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 15, 20, 30, 45, 60],
  // One LLM call: the GenAI semantic conventions' advice, up to about a minute and a half.
  genAiDuration: [
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
  ],
  // Tokens per call: the GenAI semantic conventions' advice (powers of four).
  tokens: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576],
  // One SQLite query: sub-millisecond resolution, the 100 ms target well inside.
  db: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  rating: [1, 2, 3, 4, 5],
  // Rendering /metrics: the 5 ms target well inside, sub-millisecond resolution.
  render: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1],
} as const;
