// The rollout's HTTP surface on the daemon: `GET /api/rollout` (the published status snapshot's
// `rollout`, for the CLI's status and dashboards' links: like every read it never reaches the
// driver) and `POST /api/rollout/{start,pause,resume,abort}`, which go to the driver and are
// writes: the admin token (constant-time compare) or, with none configured, loopback only. Bodies
// are strict: only `actor` (who, for the audit log) and, for start, `timeScale`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RolloutCommand } from '../../rollout/rollout-commands.js';
import type { RolloutDriver } from './rollout-driver.js';
import type { RolloutView } from './rollout-view.js';

const COMMANDS: readonly RolloutCommand[] = ['start', 'pause', 'resume', 'abort'];
/** Who ran a command, as the audit log shows it: a user name, not free text. */
const ACTOR = '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$';

const commandSchema = {
  params: {
    type: 'object',
    properties: { command: { type: 'string', enum: [...COMMANDS] } },
    required: ['command'],
    additionalProperties: false,
  },
  querystring: { type: 'object', additionalProperties: false },
  body: {
    type: ['object', 'null'],
    properties: {
      actor: { type: 'string', pattern: ACTOR },
      timeScale: { type: 'number', minimum: 1, maximum: 1_000_000 },
    },
    additionalProperties: false,
  },
} as const;

interface CommandBody {
  actor?: string;
  timeScale?: number;
}

export interface RolloutRouteDeps {
  /** The latest published snapshot's rollout (null: this daemon runs no rollout). */
  readonly view: () => RolloutView | null;
  /** Where commands go; without one only `GET /api/rollout` is served. */
  readonly driver: RolloutDriver | undefined;
  /** Why a write is refused (http-server.ts `adminRefusal`), or undefined when allowed. */
  readonly refusal: (req: FastifyRequest) => { status: number; error: string } | undefined;
}

export function registerRolloutRoutes(app: FastifyInstance, d: RolloutRouteDeps): void {
  app.get(
    '/api/rollout',
    { schema: { querystring: { type: 'object', additionalProperties: false } } },
    async (_req, reply) =>
      d.view() ?? reply.code(404).send({ error: 'this daemon runs no rollout plan' }),
  );
  const { driver, refusal } = d;
  if (!driver) return;
  app.post<{ Params: { command: RolloutCommand }; Body: CommandBody | null }>(
    '/api/rollout/:command',
    { schema: commandSchema },
    async (req, reply) => {
      const refused = refusal(req);
      if (refused) return reply.code(refused.status).send({ error: refused.error });
      const { command } = req.params;
      const body = req.body ?? {};
      if (command !== 'start' && body.timeScale !== undefined) {
        return reply.code(400).send({ error: '--time-scale only applies to start' });
      }
      const r = await driver.command(command, body.actor ?? 'unknown', {
        ...(body.timeScale !== undefined ? { timeScale: body.timeScale } : {}),
      });
      if (!r.ok) return reply.code(r.status).send({ error: r.error });
      return r.view;
    },
  );
}
