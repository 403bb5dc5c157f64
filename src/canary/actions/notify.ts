// `action: notify_dev_team` / `notify_product_team`: the alert goes to Alertmanager's v2 API when
// one is configured (its routing, silences and dedup then apply), else to the team's webhook.
// Like Prometheus, a firing alert is re-sent while it fires (endsAt a few resend periods ahead, so
// Alertmanager keeps it alive) and a resolved one is sent once with endsAt at its end.
// To Alertmanager the alert carries the rule's labels and Prometheus's external labels, and nothing
// else, as Prometheus's own copy of the same alert does, so that Alertmanager merges the two (see
// external-labels.ts).
import axios, { isAxiosError } from 'axios';
import type { ActionName, AlertInstance, AlertingRule, Team } from '../types.js';
import { displayUrl } from '../prometheus/prometheus-client.js';
import type { Action, ActionRequest, ActionResult } from './action.js';
import { withExternalLabels, type ExternalLabelSource } from './external-labels.js';

export { TEAMS, type Team } from '../types.js';

export interface NotifyOptions {
  readonly alertmanagerUrl: string | undefined;
  /** Tenant headers and auth sent to Alertmanager only, never to a webhook. */
  readonly alertmanagerHeaders?: Readonly<Record<string, string>>;
  readonly webhooks: Readonly<Partial<Record<Team, string>>>;
  readonly timeoutMs: number;
  readonly resendDelayMs: number;
  /** Where a person sees the alert: the daemon's status page (set once the server listens). */
  generatorUrl: string;
  /** Prometheus's external labels, added to alerts sent to Alertmanager. */
  readonly externalLabels?: ExternalLabelSource;
}

/** The alert as Alertmanager's v2 API (and our webhook payload) carries it. */
export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
}

export function teamOf(action: ActionName): Team | undefined {
  if (action === 'notify_dev_team') return 'dev_team';
  if (action === 'notify_product_team') return 'product_team';
  return undefined;
}

export function toPostableAlert(
  rule: AlertingRule,
  instance: AlertInstance,
  event: ActionRequest['event'],
  at: number,
  o: Pick<NotifyOptions, 'resendDelayMs' | 'generatorUrl'>,
): PostableAlert {
  // Prometheus: endsAt = now + 4 × resend delay while firing, so a missed resend does not resolve it.
  const endsAt = event === 'resolved' ? (instance.resolvedAt ?? at) : at + 4 * o.resendDelayMs;
  return {
    labels: { ...instance.labels },
    annotations: { ...instance.annotations },
    startsAt: new Date(instance.firedAt ?? instance.activeAt).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
    generatorURL: `${o.generatorUrl}#rule-${encodeURIComponent(rule.name)}`,
  };
}

export function createNotify(
  name: 'notify_dev_team' | 'notify_product_team',
  o: NotifyOptions,
): Action {
  const team = teamOf(name) as Team;
  return {
    name,
    describe: (req) =>
      `send ${req.event === 'resolved' ? 'a resolved' : 'a firing'} notice to ${target(team, o)}`,
    async perform(req): Promise<ActionResult> {
      const alert = toPostableAlert(req.rule, req.instance, req.event, req.at, o);
      if (o.alertmanagerUrl) {
        const url = `${o.alertmanagerUrl.replace(/\/$/, '')}/api/v2/alerts`;
        const external = (await o.externalLabels?.get()) ?? {};
        // Exactly the rule's labels plus the external ones, as in Prometheus's copy: a label of
        // the daemon's own (such as a default `team`) would keep Alertmanager from merging them.
        const labels = withExternalLabels(alert.labels, external);
        const body = [{ ...alert, labels }];
        return post(url, displayUrl(url), body, o.timeoutMs, o.alertmanagerHeaders);
      }
      const hook = o.webhooks[team];
      if (!hook) {
        return {
          outcome: 'skipped',
          detail: `no destination for ${team}: set ALERTMANAGER_URL, --webhook ${team}=URL or CANARY_WEBHOOK_${team.toUpperCase()}`,
          attempts: 0,
        };
      }
      const status = req.event === 'resolved' ? 'resolved' : 'firing';
      const body = { version: '4', receiver: team, status, alerts: [{ status, ...alert }] };
      return post(hook, webhookShown(hook), body, o.timeoutMs);
    },
  };
}

function target(team: Team, o: NotifyOptions): string {
  if (o.alertmanagerUrl) return `Alertmanager ${displayUrl(o.alertmanagerUrl)} (team=${team})`;
  const hook = o.webhooks[team];
  return hook ? `the ${team} webhook ${webhookShown(hook)}` : `${team} (no destination configured)`;
}

/** Chat webhooks carry their secret in the path: show the origin only. */
export function webhookShown(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '<invalid url>';
  }
}

async function post(
  url: string,
  shown: string,
  body: unknown,
  timeoutMs: number,
  headers: Readonly<Record<string, string>> = {},
): Promise<ActionResult> {
  try {
    const res = await axios.post(url, body, {
      timeout: timeoutMs,
      headers: { ...headers },
      validateStatus: () => true,
    });
    if (res.status >= 200 && res.status < 300)
      return {
        outcome: 'success',
        detail: `delivered to ${shown} (HTTP ${res.status})`,
        attempts: 1,
      };
    return { outcome: 'failure', detail: `${shown} answered HTTP ${res.status}`, attempts: 1 };
  } catch (err) {
    const why = isAxiosError(err) ? (err.code ?? err.message) : String(err);
    return { outcome: 'failure', detail: `could not deliver to ${shown}: ${why}`, attempts: 1 };
  }
}
