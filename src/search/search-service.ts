// One search, start to end: who the user is, which mode the rollout gives them, the AI path with
// its fallback to keyword search, and the numbers that go to metrics. No HTTP in here.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AI_SEARCH_FLAG, type FlagDecision, type UserSegment } from '../flags/types.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { ClientShare } from './client-share.js';
import type { CohortUsers } from './cohort-users.js';
import type { ContactHit, ContactsStore } from './contacts/store.js';
import type {
  CallBudget,
  QueryUnderstanding,
  UnderstandFailure,
  UnderstandResult,
} from './llm/types.js';
import {
  NO_CALL_REASONS,
  type NoCallReason,
  type SearchMode,
  type SearchOutcome,
  type ServiceMetrics,
} from './metrics.js';
import type { FeedbackResult, RecentSearches } from './recent-searches.js';
import type { TokenBuckets } from './token-buckets.js';

/** How long after AI_SEARCH_TIMEOUT the service stops waiting for an LLM layer that overran. */
export const GUARD_GRACE_MS = 250;

/** Why an AI search answered with keyword results. */
export type DegradedReason = UnderstandFailure | 'rate_limited';

const isNoCallReason = (r: DegradedReason | undefined): r is NoCallReason =>
  (NO_CALL_REASONS as readonly string[]).includes(r ?? '');

export interface SearchRequest {
  readonly q: string;
  readonly limit: number;
  readonly userId: string;
  /** The client's network address (what the per-client request limit keys on too). */
  readonly clientAddress: string;
}

export interface SearchAnswer {
  readonly searchId: string;
  /** The mode the rollout chose for this user. */
  readonly mode: SearchMode;
  /** True when an AI search fell back to keyword results. */
  readonly degraded: boolean;
  readonly degradedReason?: DegradedReason;
  readonly results: readonly ContactHit[];
  readonly tookMs: number;
  readonly costUsd: number;
}

/** What the service needs of the flag evaluator (src/flags). */
export interface FlagEvaluator {
  evaluate(flag: string, userId: string, segment: UserSegment): Promise<FlagDecision>;
}

export interface SearchServiceDeps {
  readonly store: ContactsStore;
  readonly flags: FlagEvaluator;
  readonly understanding: QueryUnderstanding;
  readonly metrics: ServiceMetrics;
  readonly recent: RecentSearches;
  /** AI searches per user; undefined means no limit. */
  readonly aiQuota: TokenBuckets | undefined;
  /** Each client's share of the LLM calls (per user id and per address); undefined = no share. */
  readonly share: ClientShare | undefined;
  /** AI_SEARCH_TIMEOUT: the whole AI part of one search, enforced here too as a safety net. */
  readonly aiTimeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Distinct users per flag variant (a rollout step's minimum sample); none: not counted. */
  readonly cohortUsers?: CohortUsers;
}

interface Served {
  readonly results: readonly ContactHit[];
  readonly degradedReason?: DegradedReason;
  readonly costUsd: number;
}

/** During an outage every AI search degrades; one line per reason per interval is enough. */
export const DEGRADED_LOG_INTERVAL_MS = 10_000;

export class SearchService {
  private readonly degradedLog = new Map<DegradedReason, { at: number; suppressed: number }>();

  constructor(private readonly deps: SearchServiceDeps) {}

  /** The segment of a known user; unknown ids are treated as the public. */
  segmentOf(userId: string): UserSegment {
    return this.deps.store.findUser(userId)?.segment ?? 'public';
  }

  async search(req: SearchRequest): Promise<SearchAnswer> {
    const started = performance.now();
    const { metrics } = this.deps;
    let mode: SearchMode = 'keyword';
    let variant: string | undefined;
    try {
      const segment = this.segmentOf(req.userId);
      const decision = await this.deps.flags.evaluate(AI_SEARCH_FLAG, req.userId, segment);
      metrics.recordFlag(AI_SEARCH_FLAG, decision.variant, segment);
      mode = decision.value ? 'ai' : 'keyword';
      variant = decision.variant;
      if (this.deps.cohortUsers?.firstSighting(variant, req.userId))
        metrics.recordCohortUser(variant);
      const served = mode === 'ai' ? await this.aiSearch(req) : await this.keyword(req);
      const seconds = (performance.now() - started) / 1000;
      metrics.recordSearch(mode, outcomeOf(served), seconds, variant);
      const answer: SearchAnswer = {
        searchId: randomUUID(),
        mode,
        degraded: served.degradedReason !== undefined,
        ...(served.degradedReason ? { degradedReason: served.degradedReason } : {}),
        results: served.results,
        tookMs: Math.round(seconds * 1000 * 100) / 100,
        costUsd: served.costUsd,
      };
      this.deps.recent.add(answer.searchId, { mode, degraded: answer.degraded });
      return answer;
    } catch (err) {
      metrics.recordSearch(mode, 'error', (performance.now() - started) / 1000, variant);
      throw err;
    }
  }

  feedback(searchId: string, rating: number): FeedbackResult {
    const result = this.deps.recent.rate(searchId);
    if (result === 'recorded') this.deps.metrics.recordFeedback(rating);
    return result;
  }

  private async keyword(
    req: SearchRequest,
    degradedReason?: DegradedReason,
    costUsd = 0,
  ): Promise<Served> {
    const results = await this.deps.store.keywordSearch(req.q, req.limit);
    return degradedReason ? { results, degradedReason, costUsd } : { results, costUsd };
  }

  private async aiSearch(req: SearchRequest): Promise<Served> {
    const served = await this.aiServed(req);
    if (isNoCallReason(served.degradedReason)) {
      this.deps.metrics.recordNoCall(served.degradedReason);
    }
    return served;
  }

  private async aiServed(req: SearchRequest): Promise<Served> {
    const quota = this.deps.aiQuota?.take(req.userId);
    if (quota && !quota.ok) return this.keyword(req, 'rate_limited');
    const understood = await this.understandWithin(req, this.deps.aiTimeoutMs);
    if (!understood.ok) {
      this.logDegraded(understood.reason, understood.error);
      return this.keyword(req, understood.reason, understood.costUsd);
    }
    const results = await this.deps.store.filterSearch(understood.filters, req.limit);
    // Filters that say nothing searchable (all lists empty) leave the words of the query.
    const useful = results.length > 0 || hasAnyFilter(understood.filters);
    return {
      results: useful ? results : (await this.keyword(req)).results,
      costUsd: understood.costUsd,
    };
  }

  private budgetOf(req: SearchRequest): CallBudget | undefined {
    return this.deps.share ? shareBudget(this.deps.share, req) : undefined;
  }

  private logDegraded(reason: DegradedReason, error: string): void {
    const now = this.deps.clock.now();
    const last = this.degradedLog.get(reason);
    if (last && now - last.at < DEGRADED_LOG_INTERVAL_MS) {
      last.suppressed += 1;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.degradedLog.set(reason, { at: now, suppressed: 0 });
    // A search that made no call (a rejected query, a client over its share) is the system
    // working as meant, not trouble with the AI service: INFO, not WARN.
    const level = isNoCallReason(reason) ? 'info' : 'warn';
    this.deps.logger[level](
      { reason, error, similarSinceLastLine: suppressed },
      'AI search degraded to keyword results',
    );
  }

  /**
   * The LLM layer bounds itself by AI_SEARCH_TIMEOUT and reports what the calls cost; this guard,
   * a little later, keeps a search bounded even if it did not.
   */
  private async understandWithin(req: SearchRequest, ms: number): Promise<UnderstandResult> {
    const abort = new AbortController();
    const limit = ms + GUARD_GRACE_MS;
    const late = this.deps.clock.sleep(limit, abort.signal).then((): UnderstandResult => ({
      ok: false,
      reason: 'timeout',
      error: `no answer within AI_SEARCH_TIMEOUT (${ms} ms) + ${GUARD_GRACE_MS} ms`,
      costUsd: 0,
      calls: [],
    }));
    const budget = this.budgetOf(req);
    try {
      return await Promise.race([
        this.deps.understanding.understand(req.q, {
          signal: abort.signal,
          ...(budget ? { budget } : {}),
        }),
        late,
      ]);
    } finally {
      abort.abort(); // ends the guard's sleep, or tells a late LLM layer to stop
    }
  }
}

/** The client's share of LLM calls, as the LLM layer asks for it (per user id and address). */
function shareBudget(share: ClientShare, req: SearchRequest): CallBudget {
  let settle: ((calls: number) => void) | undefined;
  return {
    reserve() {
      const admitted = share.admit({ userId: req.userId, address: req.clientAddress });
      if (!admitted.ok) {
        const who = admitted.exceeded === 'user' ? 'user id' : 'client address';
        return {
          ok: false,
          error: `this ${who} has used its share of LLM calls (AI_SEARCH_CLIENT_CALL_SHARE per AI_SEARCH_CLIENT_SHARE_WINDOW)`,
        };
      }
      settle = admitted.settle;
      return { ok: true };
    },
    settle: (calls) => settle?.(calls),
  };
}

function hasAnyFilter(filters: Record<string, readonly string[]>): boolean {
  return Object.values(filters).some((list) => list.length > 0);
}

function outcomeOf(served: Served): SearchOutcome {
  if (served.degradedReason !== undefined) return 'degraded';
  return served.results.length > 0 ? 'success' : 'empty';
}
