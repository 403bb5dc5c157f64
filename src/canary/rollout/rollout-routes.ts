// The rollout's HTTP surface on the daemon: `GET /api/rollout` (the snapshot, for the CLI's
// status and dashboards' links) and `POST /api/rollout/{start,pause,resume,abort}`, which are
// writes: the admin token (constant-time compare) or, with none configured, loopback only. Bodies
// are strict: only `actor` (who, for the audit log) and, for start, `timeScale`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RolloutCommand } from '../../rollout/rollout-commands.js';
import type { RolloutDriver } from './rollout-driver.js';

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

export function registerRolloutRoutes(
  app: FastifyInstance,
  driver: RolloutDriver,
  /** Why a write is refused (http-server.ts `adminRefusal`), or undefined when allowed. */
  refusal: (req: FastifyRequest) => { status: number; error: string } | undefined,
): void {
  app.get(
    '/api/rollout',
    { schema: { querystring: { type: 'object', additionalProperties: false } } },
    async () => driver.view(),
  );
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
