// The state file: a round trip keeps everything a restart needs; every kind of corrupt file is
// moved aside with an ERROR and the daemon starts empty instead of crash-looping.
import {
  lstat,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStore, STATE_FILE_NAME } from '../../src/canary/engine/state-store.js';
import type { AlertInstance } from '../../src/canary/types.js';
import { FakeClock } from '../../src/shared/clock.js';
import { collectingLogger, LEVEL } from '../fakes/collecting-logger.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'canary-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const instance = (value: number): AlertInstance => ({
  key: 'alertname="a",model="m"',
  labels: { alertname: 'a', model: 'm' },
  annotations: { summary: 's' },
  state: 'pending',
  value,
  activeAt: 1_700_000_000_000,
  firedAt: undefined,
  resolvedAt: undefined,
  lastSeenAt: 1_700_000_005_000,
  keepFiringSince: undefined,
});

async function open() {
  const { logger, lines } = collectingLogger();
  const store = await StateStore.open({
    dataDir: dir,
    clock: new FakeClock(1_700_000_009_000),
    logger,
  });
  return { store, lines };
}

describe('state file round trip', () => {
  it('keeps instances (NaN included), health, rollback marks and action records', async () => {
    const a = (await open()).store;
    a.setRule('g/a@1', {
      instances: new Map([[instance(NaN).key, instance(NaN)]]),
      health: 'ok',
      lastError: undefined,
      lastEvaluation: 1_700_000_005_000,
    });
    a.setRollback({ key: 'a|k|1', rule: 'a', status: 'done', startedAt: 'x' });
    a.setNotified('g/a@1|k', { ruleId: 'g/a@1', activeAt: 1, lastSentAt: 2 });
    const record = {
      id: '1',
      time: 't',
      action: 'immediate_rollback',
      event: 'firing',
      outcome: 'success',
      detail: 'd',
      reason: 'r',
      rule: 'a',
      group: 'g',
      expr: 'e',
      value: 0.3,
      threshold: '> 0.1',
      forSeconds: 5,
      activeAt: 'x',
      labels: {},
      attempts: 1,
    } as const;
    a.actions.push(record);
    await a.save();
    const text = await readFile(path.join(dir, STATE_FILE_NAME), 'utf8');
    expect(JSON.parse(text)).toMatchObject({ version: 1 });
    const b = (await open()).store;
    const st = b.getRule('g/a@1')!;
    expect(st.health).toBe('ok');
    const inst = st.instances.get(instance(0).key)!;
    expect(inst.value).toBeNaN();
    expect(inst.activeAt).toBe(1_700_000_000_000);
    expect(b.getRollback('a|k|1')?.status).toBe('done');
    expect(b.getNotified('g/a@1|k')).toEqual({ ruleId: 'g/a@1', activeAt: 1, lastSentAt: 2 });
    expect(b.actions.latest()).toEqual([record]);
    expect(await readdir(dir)).toEqual([STATE_FILE_NAME]); // no temp files left behind
  });
});

describe('corrupt state file', () => {
  it.each([
    ['not JSON (a write cut short)', '{"version":1,"rules":{'],
    ['an empty file', ''],
    ['JSON null', 'null'],
    ['an unknown version', '{"version":7,"rules":{},"rollbacks":{},"notified":{},"actions":[]}'],
    ['rules that are a list', '{"version":1,"rules":[],"rollbacks":{},"notified":{},"actions":[]}'],
    [
      'actions that are not a list',
      '{"version":1,"rules":{},"rollbacks":{},"notified":{},"actions":{}}',
    ],
    [
      'an instance without activeAt',
      '{"version":1,"rules":{"r":{"instances":[{"key":"k","state":"pending"}]}},"rollbacks":{},"notified":{},"actions":[]}',
    ],
  ])('%s: moved aside, ERROR logged, empty start', async (_name, content) => {
    await writeFile(path.join(dir, STATE_FILE_NAME), content);
    const { store, lines } = await open();
    expect(store.ruleIds()).toEqual([]);
    const files = await readdir(dir);
    expect(files).toEqual([`${STATE_FILE_NAME}.corrupt-1700000009000`]);
    expect(await readFile(path.join(dir, files[0]!), 'utf8')).toBe(content); // kept for a person to inspect
    const err = lines.find((l) => l.level === LEVEL.error);
    expect(err?.msg).toMatch(
      /is unreadable .*moved it to .*corrupt-1700000009000 and starting with empty state/,
    );
  });
});

describe('state file behind a symlink', () => {
  it('is not followed: the link is moved aside, the next save writes a regular file, the target is untouched', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'canary-state-outside-'));
    const target = path.join(outside, 'precious');
    await writeFile(target, 'precious, not ours');
    try {
      await symlink(target, path.join(dir, STATE_FILE_NAME));
      const { store, lines } = await open();
      expect(store.ruleIds()).toEqual([]);
      const aside = path.join(dir, `${STATE_FILE_NAME}.corrupt-1700000009000`);
      expect(await readlink(aside)).toBe(target); // the link itself, kept for a person to inspect
      expect(lines.find((l) => l.level === LEVEL.error)?.msg).toMatch(
        /is a symbolic link; refusing to follow it/,
      );
      store.setRule('g/a@1', {
        instances: new Map(),
        health: 'ok',
        lastError: undefined,
        lastEvaluation: 1,
      });
      await store.save();
      expect((await lstat(path.join(dir, STATE_FILE_NAME))).isFile()).toBe(true);
      expect(await readFile(target, 'utf8')).toBe('precious, not ours');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
