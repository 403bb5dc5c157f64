// A person's view of a rollback: Debian's Chromium (driven by playwright-core) on the daemon's
// status page while `canary start --fast` runs; chaos on the LLM simulator; the rollback appears
// with its reason.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStack, type StackRun } from './stack-run.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let stack: StackRun | undefined;
let context: BrowserContext | undefined;
let page: Page;
const profile = mkdtempSync(path.join(os.tmpdir(), 'stack-chromium-'));

describe.skipIf(!existsSync(CHROMIUM))(
  'daemon status page in Chromium (skipped: /usr/bin/chromium not installed)',
  () => {
    beforeAll(async () => {
      stack = await runStack(['--fast']);
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ARGS,
      });
      page = await context.newPage();
    });

    afterAll(async () => {
      await context?.close();
      await stack?.stop('SIGINT');
      await stack?.cleanup();
      rmSync(profile, { recursive: true, force: true });
    });

    it('shows every rule of the rules file, the rollback rule inactive', async () => {
      await page.goto(stack!.urls.daemon);
      await expect.poll(() => page.locator('h1').textContent()).toBe('canary daemon');
      const row = page.locator('#rule-ai_service_failure');
      await expect.poll(() => row.locator('td.state').textContent()).toBe('inactive');
      expect(await row.textContent()).toContain('immediate_rollback (ai-search-enabled)');
      for (const rule of ['high_error_rate', 'slow_response_time', 'cost_spike']) {
        expect(await page.locator(`#rule-${rule}`).count()).toBe(1);
      }
    });

    it('shows the rollback and its reason after chaos', async () => {
      execFileSync(process.execPath, [
        'bin/canary.js',
        'chaos',
        '--ai-error-rate',
        '0.3',
        '--url',
        stack!.urls.llmSim,
      ]);
      const rollback = page
        .locator('tr', { hasText: 'immediate_rollback' })
        .filter({ hasText: 'success' });
      await expect
        .poll(
          async () => {
            await page.reload();
            return rollback.count();
          },
          { timeout: 60_000, interval: 2000 },
        )
        .toBeGreaterThan(0);
      const text = await rollback.first().textContent();
      expect(text).toMatch(/flag ai-search-enabled turned off/);
      expect(text).toMatch(/ai_service_failure: value 0\.\d+ > 0\.1/);
      execFileSync(process.execPath, [
        'bin/canary.js',
        'chaos',
        '--ai-error-rate',
        '0',
        '--url',
        stack!.urls.llmSim,
      ]);
    }, 90_000);
  },
);
