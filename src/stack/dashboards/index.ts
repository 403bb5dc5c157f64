// The dashboards the repository ships, by file name under dashboards/.
import { DAEMON_DASHBOARD } from './daemon.js';
import { dashboardJson } from './model.js';
import { ROLLOUT_DASHBOARD } from './rollout.js';

export const DASHBOARD_FILES: Readonly<Record<string, Record<string, unknown>>> = {
  'ai-search-rollout.json': dashboardJson(ROLLOUT_DASHBOARD),
  'canary-daemon.json': dashboardJson(DAEMON_DASHBOARD),
};

export { dashboardQueries, type DashboardQuery } from './model.js';
