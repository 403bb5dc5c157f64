// npx tsx bench/cpu-profile-top.ts FILE.cpuprofile [N] — the top-N functions by self time of a
// V8 CPU profile (what `node --cpu-prof` writes), as a text table: a flame graph's widest leaves,
// small enough to commit (docs/performance.md) where the multi-MB profile is not.
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function where(f: CallFrame): string {
  if (!f.url) return '';
  const url = f.url.replace(/^file:\/\//, '');
  const inModules = url.lastIndexOf('node_modules/');
  const short = inModules >= 0 ? url.slice(inModules + 'node_modules/'.length) : path.basename(url);
  return `${short}:${f.lineNumber + 1}`;
}

export function topSelfTime(profile: Profile, n: number): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    const key = `${frame.functionName || '(anonymous)'} ${where(frame)}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const busy = total - (self.get('(idle)') ?? 0);
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [
    `total ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle`,
    `${'self ms'.padStart(9)} ${'% busy'.padStart(7)}  function`,
    ...rows.map(
      ([key, us]) =>
        `${(us / 1000).toFixed(0).padStart(9)} ${key === '(idle)' ? '      -' : ((us / busy) * 100).toFixed(1).padStart(7)}  ${key}`,
    ),
  ];
}

const [file, n] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tsx bench/cpu-profile-top.ts FILE.cpuprofile [N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
console.log(topSelfTime(profile, Number(n ?? 25)).join('\n'));
