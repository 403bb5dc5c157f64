import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import { parseDuration } from '../../canary/rules/duration.js';
import type { RuleSet } from '../../simulate/simulate.js';
import { intOption } from '../int-option.js';
import type { RegisterCommand } from './index.js';

function numberList(min: number, max: number, what: string) {
  return (raw: string): number[] => {
    const parts = raw.split(',').map((s) => s.trim());
    const out = parts.map(Number);
    if (parts.some((p) => p === '') || out.some((n) => !Number.isFinite(n) || n < min || n > max)) {
      throw new InvalidArgumentError(
        `expected ${what}, comma-separated, each from ${min} to ${max}`,
      );
    }
    return out;
  };
}

/** A Prometheus duration from 1 s to 1 day: finer steps would make millions of samples a day. */
function durationMs(raw: string): number {
  const d = parseDuration(raw);
  if (!d.ok || d.ms < 1000 || d.ms > 86_400_000) {
    throw new InvalidArgumentError(
      'expected a Prometheus duration from 1s to 1d, such as 15s or 20m',
    );
  }
  return d.ms;
}

interface SimulateCliOptions {
  rules: string;
  against?: string;
  alert: string;
  rates: number[];
  steadyRates: number[];
  steady: number[];
  days: number;
  steps: number[];
  baseline: number;
  episodes: number;
  within: number;
  seed: number;
  interval: number;
  scrape: number;
  out: string;
  parallel: number;
}

export const registerSimulate: RegisterCommand = (program) => {
  program
    .command('simulate')
    .description(
      'operating characteristics of a rollback rule: synthetic LLM traffic through the real PromQL engine and the daemon evaluator',
    )
    .option('--rules <file>', 'rule file to judge', 'rules/ai-search.rules.yml')
    .option('--against <file>', 'a second rule file, judged on the same traffic (side by side)')
    .option('--alert <name>', 'the alerting rule to judge', 'ai_service_failure')
    .option(
      '--rates <list>',
      'traffic levels of the step runs (TTR, OC curve), LLM calls per second',
      numberList(0.001, 100, 'calls per second'),
      [0.1, 0.5, 2],
    )
    .option(
      '--steady-rates <list>',
      'traffic levels of the steady runs, LLM calls per second',
      numberList(0.001, 100, 'calls per second'),
      [0.1, 0.5, 2],
    )
    .option(
      '--steady <list>',
      'steady (healthy) failure rates: every rollback is false',
      numberList(0, 1, 'shares'),
      [0.05, 0.07],
    )
    .option('--days <n>', 'simulated days per steady run', intOption(1, 365), 30)
    .option(
      '--steps <list>',
      'failure rates stepped to from the baseline (the OC curve)',
      numberList(0, 1, 'shares'),
      [0.07, 0.1, 0.12, 0.15, 0.2, 0.3],
    )
    .option(
      '--baseline <share>',
      'failure rate before each step',
      (r) => numberList(0, 1, 'a share')(r)[0]!,
      0.02,
    )
    .option(
      '--episodes <n>',
      'step episodes per traffic level and failure rate',
      intOption(1, 10_000),
      100,
    )
    .addOption(
      new Option('--within <duration>', 'the OC curve: P(rollback within this long)')
        .argParser(durationMs)
        .default(20 * 60_000, '20m'),
    )
    .option('--seed <n>', 'random seed', intOption(0, 2 ** 31), 1)
    .addOption(
      new Option('--interval <duration>', "the rule group's evaluation interval")
        .argParser(durationMs)
        .default(15_000, '15s'),
    )
    .addOption(
      new Option('--scrape <duration>', 'scrape interval of the simulated counters')
        .argParser(durationMs)
        .default(15_000, '15s'),
    )
    .option('--out <dir>', 'where the SVG chart, HTML report and JSON go', 'simulate-out')
    .option(
      '--parallel <n>',
      'promtool processes and queries at once',
      intOption(1, 64),
      Math.max(1, Math.min(2, os.availableParallelism())),
    )
    .action(async (o: SimulateCliOptions) => {
      const { simulate } = await import('../../simulate/simulate.js');
      const { goalText, htmlReport, ocSvg, ocText, steadyText, ttrText } =
        await import('../../simulate/report.js');
      const sets: RuleSet[] = [{ label: path.basename(o.rules), file: o.rules }];
      if (o.against !== undefined)
        sets.push({ label: `${path.basename(o.against)} (against)`, file: o.against });
      const options = {
        rates: o.rates,
        steadyRates: o.steadyRates,
        steadyFailures: o.steady,
        steadyDays: o.days,
        stepFailures: o.steps,
        baseline: o.baseline,
        episodes: o.episodes,
        withinMs: o.within,
        seed: o.seed,
        intervalMs: o.interval,
        scrapeMs: o.scrape,
      };
      let sim;
      try {
        sim = await simulate(sets, o.alert, options, o.parallel, (l) => console.error(l));
      } catch (e) {
        // Bad rule files, a missing alert, no Prometheus: one message a person can act on.
        console.error(`canary simulate: ${(e as Error).message}`);
        process.exitCode = 1;
        return;
      }
      const command = `canary ${process.argv.slice(2).join(' ')}`.trim();
      console.log(
        `# ${o.alert}: goal table (issue 10), ${sim.simulatedDays.toFixed(0)} simulated days`,
      );
      console.log(goalText(sim.results));
      for (const r of sim.results) {
        console.log(`\n# ${r.label}: false rollbacks at steady failure rates\n${steadyText(r)}`);
        console.log(
          `\n# ${r.label}: P(rollback within ${o.within / 60_000} min) after a step from ${o.baseline * 100}%\n${ocText(r, o.within)}`,
        );
        console.log(`\n# ${r.label}: time to rollback after a step (minutes)\n${ttrText(r)}`);
      }
      mkdirSync(o.out, { recursive: true });
      const svg = path.join(o.out, 'oc-curve.svg');
      const html = path.join(o.out, 'report.html');
      const json = path.join(o.out, 'results.json');
      writeFileSync(svg, ocSvg(sim.results, o.within));
      writeFileSync(html, htmlReport(sim.results, o.within, command));
      writeFileSync(
        json,
        JSON.stringify({ options, seconds: sim.seconds, results: sim.results }, null, 2),
      );
      const s = sim.seconds;
      console.log(
        `\nwall clock: generate ${s.generate.toFixed(1)} s, backfill + start ${s.backfill.toFixed(1)} s, query + evaluate ${s.query.toFixed(1)} s`,
      );
      console.log(`wrote ${svg}, ${html}, ${json}`);
    });
};
