// One instant query to Prometheus, with "no data" and "error" kept apart and a timeout.

export type InstantResult =
  | {
      readonly ok: true;
      readonly samples: readonly { labels: Record<string, string>; value: number }[];
    }
  | { readonly ok: false; readonly error: string };

export async function instantQuery(
  baseUrl: string,
  expr: string,
  timeoutMs = 10_000,
): Promise<InstantResult> {
  const url = `${baseUrl.replace(/\/$/, '')}/api/v1/query?${new URLSearchParams({ query: expr })}`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return {
        ok: false,
        error: `Prometheus at ${baseUrl} answered HTTP ${res.status} with non-JSON`,
      };
    }
    if (body.status !== 'success')
      return { ok: false, error: `Prometheus: ${body.error ?? `HTTP ${res.status}`}` };
    if (body.data?.resultType !== 'vector' || !Array.isArray(body.data.result)) {
      return { ok: false, error: `Prometheus: expected a vector for ${expr}` };
    }
    const samples = (
      body.data.result as { metric: Record<string, string>; value: [number, string] }[]
    ).map((r) => ({
      labels: r.metric,
      value: Number(r.value[1]),
    }));
    return { ok: true, samples };
  } catch (e) {
    return { ok: false, error: `Prometheus at ${baseUrl} unreachable: ${(e as Error).message}` };
  }
}
