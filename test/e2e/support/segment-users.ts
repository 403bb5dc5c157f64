// Users of every segment, as the service seeds them: the same generator and seed give the same
// ids, so a test can pick internal, beta and public users without reading the service's database.
import { generateUsers } from '../../../src/search/contacts/generator.js';
import { DEFAULT_USERS } from '../../../src/search/main.js';
import type { UserSegment } from '../../../src/flags/types.js';

/** The seed `openContactsStore` uses when none is given. */
const SERVICE_SEED = 42;

export interface SegmentUser {
  readonly id: string;
  readonly segment: UserSegment;
}

/** The first `perSegment` users of each segment, interleaved (internal, beta, public, internal…). */
export function usersOfEverySegment(perSegment: number, total = DEFAULT_USERS): SegmentUser[] {
  const bySegment = new Map<UserSegment, SegmentUser[]>([
    ['internal-users', []],
    ['beta-users', []],
    ['public', []],
  ]);
  for (const u of generateUsers(total, SERVICE_SEED)) {
    const list = bySegment.get(u.segment)!;
    if (list.length < perSegment) list.push({ id: u.id, segment: u.segment });
  }
  const lists = [...bySegment.values()];
  const out: SegmentUser[] = [];
  for (let i = 0; i < perSegment; i++) for (const l of lists) if (l[i]) out.push(l[i]!);
  return out;
}
