// Distinct users per flag variant since the flag's definition last changed: what a rollout step's
// minimum sample ("M distinct users") counts. A user id is far too many values for a Prometheus
// label, so the service counts first sightings instead (`ai_search_cohort_users_total`), and the
// set starts over whenever the flag changes, which is when a rollout step begins. The increase
// of that counter over the step's window is then the step's distinct users on this replica.
// Bounded: past `maxPerVariant` ids a variant stops counting new users (an undercount only ever
// extends a hold, it never promotes early).

export const DEFAULT_MAX_USERS_PER_VARIANT = 100_000;

export class CohortUsers {
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly maxPerVariant = DEFAULT_MAX_USERS_PER_VARIANT) {}

  /** True the first time `userId` is served `variant` since the last reset. */
  firstSighting(variant: string, userId: string): boolean {
    let users = this.seen.get(variant);
    if (users === undefined) this.seen.set(variant, (users = new Set()));
    if (users.has(userId) || users.size >= this.maxPerVariant) return false;
    users.add(userId);
    return true;
  }

  /** The flag changed: a new step (or a person's change) starts a new count. */
  reset(): void {
    this.seen.clear();
  }
}
