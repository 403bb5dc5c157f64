// Strict HTTP input for the fastify apps (the search service and the canary daemon). Fastify's
// defaults are lenient: ajv coerces types ("false" → false, null → 0, "Infinity" → Infinity) and
// silently drops keys a schema does not allow. Here nothing is coerced or dropped: a query
// parameter declared `integer` is read by parsePlainInteger alone, JSON numbers must be spelled
// plainly, an unknown key or a repeated parameter is refused, and every refusal is a 400 whose
// reason names the field, what it must be, and what was sent.
import type {
  FastifyInstance,
  FastifyRequest,
  FastifySchemaValidationError,
  FastifyServerOptions,
} from 'fastify';
import { findLooseNumber, looseNumberReason, parsePlainInteger } from './plain-number.js';

/** Fastify options that make schema validation strict; pass them to `Fastify(...)`. */
export const STRICT_SCHEMA_OPTIONS = {
  ajv: {
    customOptions: {
      coerceTypes: false,
      removeAdditional: false,
      useDefaults: true,
      allErrors: false,
      // Errors carry the offending value and its schema, so the reason can show both.
      verbose: true,
    },
  },
  schemaErrorFormatter: (errors, dataVar) => new Error(describeSchemaError(errors[0], dataVar)),
} satisfies Pick<FastifyServerOptions, 'ajv' | 'schemaErrorFormatter'>;

interface SchemaNode {
  readonly type?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
}

/** What verbose ajv adds to an error. */
interface VerboseError extends FastifySchemaValidationError {
  readonly data?: unknown;
  readonly parentSchema?: SchemaNode;
}

/** Adds the strict JSON body parser and the strict query-parameter reader to an app. */
export function installStrictInput(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, text, done) => {
    const body = typeof text === 'string' ? text : text.toString('utf8');
    parseJson(req, body, (err, value) => {
      if (err) return done(err, undefined);
      const loose = findLooseNumber(body);
      if (loose) return done(badRequest(looseNumberReason('body', loose)), undefined);
      done(null, value);
    });
  });
  app.addHook('preValidation', async (req) => readQueryIntegers(req));
}

/** An error the apps' error handlers answer as 400 with its message as the reason. */
export function badRequest(reason: string): Error & { statusCode: 400 } {
  return Object.assign(new Error(reason), { statusCode: 400 as const });
}

/** Replaces plainly spelled integers with numbers where the route's schema wants an integer. */
function readQueryIntegers(req: FastifyRequest): void {
  const props = (req.routeOptions.schema?.querystring as SchemaNode | undefined)?.properties;
  const query = req.query as Record<string, unknown> | undefined;
  if (!props || !query) return;
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value)) {
      throw badRequest(`querystring/${name} is given ${value.length} times; give it once`);
    }
    if (props[name]?.type === 'integer' && typeof value === 'string') {
      const n = parsePlainInteger(value);
      // Anything else stays a string, and the schema refuses it with the reason below.
      if (n !== undefined) query[name] = n;
    }
  }
}

export function describeSchemaError(
  error: FastifySchemaValidationError | undefined,
  dataVar: string,
): string {
  if (!error) return `${dataVar} is invalid`;
  const e = error as VerboseError;
  const where = `${dataVar}${e.instancePath}`;
  const got = `; got ${shown(e.data)}`;
  switch (e.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys(e.parentSchema?.properties ?? {});
      const known = allowed.length > 0 ? `known keys: ${allowed.join(', ')}` : 'it takes none';
      return `${where} has an unknown key "${String(e.params.additionalProperty)}"; ${known}`;
    }
    case 'type':
      if (e.params.type === 'integer' || e.params.type === 'number') {
        return `${where} must be a whole number${range(e.parentSchema)} in plain decimal digits${got}`;
      }
      return `${where} must be ${withArticle(String(e.params.type))}${got}`;
    case 'minimum':
    case 'maximum':
      return `${where} must be${range(e.parentSchema)}${got}`;
    case 'enum':
      return `${where} must be one of ${(e.params.allowedValues as unknown[]).map(shown).join(', ')}${got}`;
    case 'required':
      return `${where} must include "${String(e.params.missingProperty)}"`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}

function withArticle(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function range(schema: SchemaNode | undefined): string {
  const { minimum: lo, maximum: hi } = schema ?? {};
  if (lo !== undefined && hi !== undefined) return ` from ${lo} to ${hi}`;
  if (lo !== undefined) return ` of at least ${lo}`;
  if (hi !== undefined) return ` of at most ${hi}`;
  return '';
}

/** The value as sent, short enough for a reason. */
function shown(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
