// `.env` files: `.env` always, and `.env.<name>` for the guide's `:staging` / `:production`
// script variants. Precedence: the real environment, then `.env.<name>`, then `.env`, so that a
// value set by the shell or the orchestrator is never overridden by a file on disk.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'dotenv';

export type EnvMap = Record<string, string | undefined>;

const NAME = /^[a-z][a-z0-9-]*$/;

export function envWithFiles(
  envName: string | undefined,
  cwd = process.cwd(),
  base: EnvMap = process.env,
): EnvMap {
  if (envName !== undefined && !NAME.test(envName)) {
    throw new Error(
      `--env ${JSON.stringify(envName)} is not valid: expected a name such as staging or production`,
    );
  }
  const files = ['.env', ...(envName ? [`.env.${envName}`] : [])];
  const merged: EnvMap = {};
  for (const file of files) {
    const full = path.join(cwd, file);
    if (!existsSync(full)) {
      if (file !== '.env') {
        throw new Error(`${file} not found in ${cwd}: create it from .env.example`);
      }
      continue;
    }
    Object.assign(merged, parse(readFileSync(full)));
  }
  const out: EnvMap = { ...merged, ...base };
  if (envName) out.CANARY_ENV = envName;
  return out;
}
