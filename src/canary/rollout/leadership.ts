// Who may move the rollout. Where two daemons run against one flag store, only the leader
// promotes, pauses on its own, or rolls a plan back; the others watch and serve the status page.
// The seam is this small on purpose: a PostgreSQL lease (a row with an owner and an expiry,
// renewed each look) implements it beside the PostgreSQL flag store; nothing else changes.

export interface Leadership {
  /** Whether this daemon holds the lease right now (asked before every look and command). */
  isLeader(): Promise<boolean>;
  /** For logs and the status page: `local (always leader)`, `postgres lease held by …`. */
  describe(): string;
}

/** One daemon, one flag file: always the leader. */
export const localLeadership: Leadership = {
  isLeader: () => Promise.resolve(true),
  describe: () => 'local (one daemon: always the leader)',
};
