// The alerts a rollout's alert gate looks at: every instance the daemon holds as pending or
// firing, with its severity label. Read from the daemon's own rule state (the same rules
// Prometheus loads), so the gate and the rollback see the same alerts at the same moment.
import type { ActiveAlert } from '../../rollout/gates.js';
import type { StateStore } from '../engine/state-store.js';

export function activeAlerts(store: StateStore): ActiveAlert[] {
  const out: ActiveAlert[] = [];
  for (const id of store.ruleIds()) {
    for (const i of store.getRule(id)?.instances.values() ?? []) {
      if (i.state !== 'pending' && i.state !== 'firing') continue;
      out.push({
        name: i.labels.alertname ?? id,
        severity: i.labels.severity ?? '',
        state: i.state,
      });
    }
  }
  return out;
}
