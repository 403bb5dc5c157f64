// Which mode answered a search request, kept beside the request (not on it) for the HTTP metric.
import type { SearchMode } from '../metrics.js';

const modes = new WeakMap<object, SearchMode>();

export function markSearchMode(request: object, mode: SearchMode): void {
  modes.set(request, mode);
}

export function searchModeOf(request: object): SearchMode | undefined {
  return modes.get(request);
}
