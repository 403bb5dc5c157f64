export { startPrometheus, prometheusConfig } from './prometheus.js';
export type {
  PrometheusHandle,
  PrometheusOptions,
  PromAlert,
  PromSample,
  ScrapeTarget,
} from './prometheus.js';
export { startAlertmanager, alertmanagerConfig } from './alertmanager.js';
export type { AlertmanagerHandle, AlertmanagerOptions, AmAlert } from './alertmanager.js';
export { freePort, eventually, launch, which, tail } from './process.js';
export type { ManagedProcess } from './process.js';
export { chooseBackend, MissingToolError } from './backend.js';
export { startVictoriaMetrics, victoriaMetricsScrapeConfig } from './victoria-metrics.js';
export type { VictoriaMetricsHandle, VictoriaMetricsOptions } from './victoria-metrics.js';
export { startPostgres, MissingPostgresError, PG_PASSWORD } from './postgres.js';
export type { PostgresHandle } from './postgres.js';
