import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../src/config/index.js';
import { editDistance, suggestKey, suggestVariable } from '../src/config/suggest.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-suggest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('unknown keys name the nearest known key (issue 16 item 7)', () => {
  it('counts a swap of two neighbours as one edit', () => {
    expect(editDistance('prot', 'port')).toBe(1);
    expect(editDistance('port', 'port')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests the key of a typo, a wrong case, a key in the wrong section, and keeps list indices', () => {
    expect(problemsOf(() => parseConfig({ server: { prot: 8080 } }))).toEqual(['server.prot: unknown key — did you mean `server.port`?']);
    expect(suggestKey('cookie.nmae')).toBe('cookie.name');
    expect(suggestKey('password.policy.minlength')).toBe('password.policy.minLength');
    expect(suggestKey('port')).toBe('server.port');
    expect(suggestKey('clients[2].callbackUrl')).toBe('clients[2].callbackURL');
    expect(suggestKey('servr')).toBe('server');
  });

  it('suggests nothing when no key is near (no wild guesses)', () => {
    expect(suggestKey('nope')).toBeNull();
    expect(suggestKey('unknownKey')).toBeNull();
    expect(suggestKey('providers.google.extra')).toBeNull();
    // `enabled` is the last segment of several keys: naming one of them would be a guess.
    expect(suggestKey('enabled')).toBeNull();
    expect(problemsOf(() => parseConfig({ nope: 1 }))).toEqual(['nope: unknown key']);
  });

  it('suggests the variable for an unknown GATEHOUSE_* name', () => {
    expect(problemsOf(() => parseConfig({}, { GATEHOUSE_SERVER__PROT: '1' }))).toEqual([
      'GATEHOUSE_SERVER__PROT: unknown configuration variable (no key "PROT" under server) — did you mean `GATEHOUSE_SERVER__PORT`?',
    ]);
    expect(suggestVariable('GATEHOUSE_CLIENTS__1__CALLBACK_UR')).toBe('GATEHOUSE_CLIENTS__1__CALLBACK_URL');
    expect(suggestVariable('GATEHOUSE_NOPE')).toBeNull();
  });

  it('leaves the admin.initialPassword hint and other problems as they are', () => {
    expect(problemsOf(() => parseConfig({ admin: { initialPassword: 'x' } }))[0]).toMatch(/^admin\.initialPassword: unknown key \(set the GATEHOUSE_ADMIN_PASSWORD/);
    expect(problemsOf(() => parseConfig({ server: { port: 'x' } }))).toEqual(['server.port: must be an integer from 0 to 65535 (got "x")']);
  });
});

describe('YAML errors give line and column (issue 16 item 7)', () => {
  it('names where the file broke', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'server:\n  port: 8080\n   host: 0.0.0.0\n');
    const problems = problemsOf(() => loadConfig({ file, env: {} }));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(new RegExp(`^config file ${file}: not valid YAML or JSON at line 2, column \\d+ \\(`));
    expect(problems.every((line) => !line.includes('\n'))).toBe(true);
  });

  it('counts lines from 1 and columns from 1 in a JSON file too', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{\n  "server": {"port": 8080,,}\n}\n');
    expect(problemsOf(() => loadConfig({ file, env: {} }))[0]).toMatch(/at line 2, column \d+ \(/);
  });
});
