// What both OpenFeature providers share (the flag file's and PostgreSQL's): flagd's own engine
// answers every evaluation, the SDK's event emitter, and flagd's log lines routed to our logger.
// A subclass only decides which definitions the engine holds and when they change.
import { FlagdCore } from '@openfeature/flagd-core';
import {
  OpenFeatureEventEmitter,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import type { Logger } from '../shared/logger.js';

export abstract class FlagdEngineProvider implements Provider {
  abstract readonly metadata: { readonly name: string };
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  protected readonly core: FlagdCore;

  constructor(logger: Logger) {
    this.core = new FlagdCore(undefined, {
      error: (...a: unknown[]) => logger.error(a.map(String).join(' ')),
      warn: (...a: unknown[]) => logger.warn(a.map(String).join(' ')),
      info: (...a: unknown[]) => logger.debug(a.map(String).join(' ')),
      debug: (...a: unknown[]) => logger.debug(a.map(String).join(' ')),
    });
  }

  resolveBooleanEvaluation(
    key: string,
    def: boolean,
    ctx: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    return Promise.resolve(this.core.resolveBooleanEvaluation(key, def, ctx));
  }

  resolveStringEvaluation(
    key: string,
    def: string,
    ctx: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    return Promise.resolve(this.core.resolveStringEvaluation(key, def, ctx));
  }

  resolveNumberEvaluation(
    key: string,
    def: number,
    ctx: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return Promise.resolve(this.core.resolveNumberEvaluation(key, def, ctx));
  }

  resolveObjectEvaluation<T extends JsonValue>(
    key: string,
    def: T,
    ctx: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    return Promise.resolve(this.core.resolveObjectEvaluation(key, def, ctx));
  }
}
