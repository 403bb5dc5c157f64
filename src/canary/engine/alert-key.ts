// The identity of an alert instance: its label set in a canonical, readable form.

/** Sorted `name="value"` pairs, e.g. `alertname="ai_service_failure",flag="ai-search-enabled"`. */
export function alertKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`)
    .join(',');
}
