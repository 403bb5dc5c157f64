-- Leadership among daemons sharing this flag store (src/canary/rollout/pg-leader-lease.ts): one row
-- per lease, naming who holds it until when. The expiry is the database's clock, so the daemons'
-- clocks never have to agree; a holder that stops renewing (crashed, cut off) loses it at expiry.
CREATE TABLE leader_lease (
  name        text PRIMARY KEY,
  holder      text NOT NULL,
  expires_at  timestamptz NOT NULL,
  acquired_at timestamptz NOT NULL
);
