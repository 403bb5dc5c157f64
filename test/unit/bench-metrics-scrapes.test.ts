// The bench's reading of the service's own /metrics histogram: what the server spent on the
// scrapes between two pages, summed over status codes, other routes ignored.
import { describe, expect, it } from 'vitest';
import { handledBetween, metricsRouteBuckets } from '../../bench/support/metrics-scrapes.js';

const page = (counts: Record<string, [number, number]>) =>
  Object.entries(counts)
    .flatMap(([le, [ok, err]]) => [
      `http_server_request_duration_bucket{http_route="/metrics",http_request_method="GET",http_response_status_code="200",le="${le}"} ${ok}`,
      `http_server_request_duration_bucket{http_route="/metrics",http_request_method="GET",http_response_status_code="500",le="${le}"} ${err}`,
      `http_server_request_duration_bucket{http_route="/api/search",http_request_method="GET",http_response_status_code="200",le="${le}"} 999`,
    ])
    .join('\n');

describe('bench /metrics histogram reading', () => {
  it('sums the /metrics route over status codes and ignores other routes', () => {
    const b = metricsRouteBuckets(page({ '0.001': [1, 0], '0.005': [3, 1], '+Inf': [4, 1] }));
    expect([...b]).toEqual([
      [0.001, 1],
      [0.005, 4],
      [Infinity, 5],
    ]);
  });

  it('counts only the requests between the two pages: share within the target, p99 bucket', () => {
    const before = metricsRouteBuckets(
      page({
        '0.001': [10, 0],
        '0.0025': [10, 0],
        '0.005': [10, 0],
        '0.01': [10, 0],
        '+Inf': [10, 0],
      }),
    );
    // 200 more (one a 500): 150 within 1 ms, 190 within 2.5 ms, 197 within 5 ms, all within 10 ms.
    const after = metricsRouteBuckets(
      page({
        '0.001': [160, 0],
        '0.0025': [200, 0],
        '0.005': [206, 1],
        '0.01': [209, 1],
        '+Inf': [209, 1],
      }),
    );
    expect(handledBetween(before, after, 0.005)).toEqual({
      withinTarget: 197 / 200,
      p99AtMost: 10,
      n: 200,
    });
    expect(handledBetween(after, after, 0.005)).toEqual({ withinTarget: 0, p99AtMost: 0, n: 0 });
  });
});
