// Writes dashboards/*.json from src/stack/dashboards (run: npm run dashboards:build).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_FILES } from '../src/stack/dashboards/index.js';

const dir = fileURLToPath(new URL('../dashboards/', import.meta.url));
for (const [name, json] of Object.entries(DASHBOARD_FILES)) {
  writeFileSync(`${dir}${name}`, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`wrote dashboards/${name}`);
}
