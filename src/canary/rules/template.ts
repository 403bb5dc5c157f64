// The subset of Prometheus's Go templates that alert labels and annotations use:
//   {{ $value }}  {{ .Value }}  {{ $labels.route }}  {{ .Labels.route }}
//   {{ $value | humanizePercentage }}  {{ printf "%.2f" $value }}  {{/* comment */}}
// Checked once at load (an unknown function or an unclosed `{{` is a load error with its
// position), expanded at every evaluation with the current value.
import {
  humanize,
  humanize1024,
  humanizeDuration,
  humanizePercentage,
  shortest,
  sprintf,
} from './go-format.js';

type Arg =
  | { readonly kind: 'value' }
  | { readonly kind: 'labels'; readonly name: string | undefined }
  | { readonly kind: 'literal'; readonly value: string | number };

interface Command {
  readonly fn: string | undefined;
  readonly args: readonly Arg[];
}

type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'action'; readonly pipeline: readonly Command[] };

export type TemplateParse =
  | { readonly ok: true; readonly nodes: readonly Node[] }
  | { readonly ok: false; readonly offset: number; readonly message: string };

type Value = string | number | Readonly<Record<string, string>>;

const FUNCTIONS: Readonly<Record<string, (args: Value[]) => string>> = {
  humanize: (a) => humanize(num(a)),
  humanize1024: (a) => humanize1024(num(a)),
  humanizePercentage: (a) => humanizePercentage(num(a)),
  humanizeDuration: (a) => humanizeDuration(num(a)),
  printf: (a) => sprintf(String(a[0]), a.slice(1)),
  toUpper: (a) => str(a).toUpperCase(),
  toLower: (a) => str(a).toLowerCase(),
  title: (a) => str(a).replace(/\b\w/g, (c) => c.toUpperCase()),
};

const KNOWN = Object.keys(FUNCTIONS).join(', ');

/** Parses a template; on error, `offset` is the position in `text` to report. */
export function parseTemplate(text: string): TemplateParse {
  const nodes: Node[] = [];
  let pos = 0;
  while (pos < text.length) {
    const open = text.indexOf('{{', pos);
    const stray = text.indexOf('}}', pos);
    if (stray !== -1 && (open === -1 || stray < open)) {
      return { ok: false, offset: stray, message: 'unexpected "}}" without a matching "{{"' };
    }
    if (open === -1) {
      nodes.push({ kind: 'text', text: text.slice(pos) });
      break;
    }
    const close = text.indexOf('}}', open + 2);
    if (close === -1)
      return { ok: false, offset: open, message: 'unclosed action: "{{" without "}}"' };
    let before = text.slice(pos, open);
    let body = text.slice(open + 2, close);
    // Go's trim markers: "{{- " trims the space before, " -}}" the space after.
    if (/^-\s/.test(body)) {
      before = before.trimEnd();
      body = body.slice(1);
    }
    let after = close + 2;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      after = skipSpace(text, after);
    }
    if (before) nodes.push({ kind: 'text', text: before });
    const action = parseAction(body, open + 2);
    if (!action.ok) return action;
    if (action.pipeline.length > 0) nodes.push({ kind: 'action', pipeline: action.pipeline });
    pos = after;
  }
  return { ok: true, nodes };
}

/** Expands a template with a sample's labels and value; errors come back inline, as Prometheus does. */
export function expandTemplate(
  text: string,
  labels: Readonly<Record<string, string>>,
  value: number,
): string {
  const parsed = parsedOnce(text);
  if (!parsed.ok) return `<error expanding template: ${parsed.message}>`;
  return parsed.nodes
    .map((n) => (n.kind === 'text' ? n.text : render(runPipeline(n.pipeline, labels, value))))
    .join('');
}

// Templates come from rule files, so there are few of them: parse each once, not per evaluation.
const parsedCache = new Map<string, TemplateParse>();
const CACHE_LIMIT = 10_000;

function parsedOnce(text: string): TemplateParse {
  let parsed = parsedCache.get(text);
  if (parsed === undefined) {
    parsed = parseTemplate(text);
    if (parsedCache.size >= CACHE_LIMIT) parsedCache.clear();
    parsedCache.set(text, parsed);
  }
  return parsed;
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/.test(text[i] as string)) i++;
  return i;
}

type ActionParse =
  | { readonly ok: true; readonly pipeline: readonly Command[] }
  | { readonly ok: false; readonly offset: number; readonly message: string };

function parseAction(body: string, base: number): ActionParse {
  if (/^\s*\/\*[\s\S]*\*\/\s*$/.test(body)) return { ok: true, pipeline: [] };
  const tokens = tokenize(body, base);
  if (!Array.isArray(tokens)) return tokens;
  if (tokens.length === 0) return { ok: false, offset: base, message: 'missing value for command' };
  const pipeline: Command[] = [];
  let current: { text: string; offset: number }[] = [];
  for (const t of [...tokens, { text: '|', offset: base + body.length }]) {
    if (t.text !== '|') {
      current.push(t);
      continue;
    }
    if (current.length === 0) return { ok: false, offset: t.offset, message: 'missing command' };
    const cmd = parseCommand(current, pipeline.length > 0);
    if ('message' in cmd) return { ok: false, ...cmd };
    pipeline.push(cmd);
    current = [];
  }
  return { ok: true, pipeline };
}

type Token = { text: string; offset: number };

function tokenize(
  body: string,
  base: number,
): Token[] | { ok: false; offset: number; message: string } {
  const tokens: Token[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\||[^\s|"`]+|["`])/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) !== null) {
    const text = m[1] as string;
    const offset = base + m.index + m[0].length - text.length;
    if (text === '"' || text === '`')
      return { ok: false, offset, message: 'unterminated quoted string' };
    tokens.push({ text, offset });
    if (re.lastIndex >= body.length) break;
  }
  return tokens;
}

function parseCommand(
  tokens: Token[],
  piped: boolean,
): Command | { offset: number; message: string } {
  const [head, ...rest] = tokens as [Token, ...Token[]];
  const fn = /^[A-Za-z_]\w*$/.test(head.text) ? head.text : undefined;
  if (fn !== undefined && !(fn in FUNCTIONS)) {
    const what = ['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block'].includes(fn)
      ? `unsupported template action "${fn}"`
      : `function "${fn}" not defined`;
    return { offset: head.offset, message: `${what} (known functions: ${KNOWN})` };
  }
  const argTokens = fn === undefined ? tokens : rest;
  const args: Arg[] = [];
  for (const t of argTokens) {
    const arg = parseArg(t.text);
    if (arg === undefined)
      return {
        offset: t.offset,
        message: `unknown value ${JSON.stringify(t.text)} (use $value, $labels.name, .Value or .Labels.name)`,
      };
    args.push(arg);
  }
  if (fn === undefined && args.length > 1) {
    return {
      offset: (argTokens[1] as Token).offset,
      message: `can't give argument to non-function ${head.text}`,
    };
  }
  if (fn === undefined && piped)
    return { offset: head.offset, message: `non-function ${head.text} in pipeline` };
  if (fn !== undefined && args.length === 0 && !piped) {
    return {
      offset: head.offset,
      message: `wrong number of args for ${fn}: want at least 1 got 0`,
    };
  }
  return { fn, args };
}

function parseArg(t: string): Arg | undefined {
  if (t === '$value' || t === '.Value') return { kind: 'value' };
  if (t === '$labels' || t === '.Labels') return { kind: 'labels', name: undefined };
  const label = /^(?:\$labels|\.Labels)\.([A-Za-z_]\w*)$/.exec(t);
  if (label) return { kind: 'labels', name: label[1] };
  if (t.startsWith('"')) return { kind: 'literal', value: JSON.parse(t) as string };
  if (t.startsWith('`')) return { kind: 'literal', value: t.slice(1, -1) };
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t))
    return { kind: 'literal', value: Number(t) };
  return undefined;
}

function runPipeline(
  pipeline: readonly Command[],
  labels: Readonly<Record<string, string>>,
  value: number,
): Value {
  let result: Value | undefined;
  for (const cmd of pipeline) {
    const args: Value[] = cmd.args.map((a) => argValue(a, labels, value));
    if (result !== undefined) args.push(result);
    result =
      cmd.fn === undefined
        ? (args[0] as Value)
        : (FUNCTIONS[cmd.fn] as (a: Value[]) => string)(args);
  }
  return result ?? '';
}

function argValue(a: Arg, labels: Readonly<Record<string, string>>, value: number): Value {
  switch (a.kind) {
    case 'value':
      return value;
    case 'labels':
      return a.name === undefined ? labels : (labels[a.name] ?? '');
    case 'literal':
      return a.value;
  }
}

function render(v: Value): string {
  if (typeof v === 'number') return shortest(v);
  if (typeof v === 'string') return v;
  const pairs = Object.keys(v)
    .sort()
    .map((k) => `${k}:${v[k]}`);
  return `map[${pairs.join(' ')}]`;
}

function num(args: Value[]): number {
  const v = args[args.length - 1];
  return typeof v === 'number' ? v : Number(v);
}

function str(args: Value[]): string {
  const v = args[args.length - 1];
  return typeof v === 'string' ? v : render(v as Value);
}
