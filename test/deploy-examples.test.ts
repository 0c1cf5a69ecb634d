import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';

/** Reads a systemd EnvironmentFile: KEY=value lines, `#` comments. */
function environmentFile(path: string): Record<string, string> {
  const lines = readFileSync(path, 'utf8').split('\n').filter((line) => line.trim() && !line.trimStart().startsWith('#'));
  return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

describe('deploy/ examples the systemd unit and docs/deploy.md name', () => {
  it('gatehouse.example.yaml with gatehouse.example.env is a valid configuration, the env file winning', () => {
    const env = environmentFile('deploy/gatehouse.example.env');
    const config = loadConfig({ file: 'deploy/gatehouse.example.yaml', env });
    expect(config.server.baseUrl).toBe('https://accounts.example.com');
    expect(config.server.trustProxy).toEqual(['10.0.0.10']);
    expect(config.database.url).toBe(env.DATABASE_URL);
    expect(config.redis.url).toBe(env.REDIS_URL);
    expect(config.email.smtpUrl).toBe(env.GATEHOUSE_EMAIL__SMTP_URL);
  });

  it('the unit reads exactly those two files', () => {
    const unit = readFileSync('deploy/gatehouse.service', 'utf8');
    expect(unit).toMatch(/^Environment=GATEHOUSE_CONFIG=\/etc\/gatehouse\/gatehouse\.yaml$/m);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/gatehouse\/gatehouse\.env$/m);
    expect(unit).toMatch(/deploy\/gatehouse\.example\.yaml/);
  });
});
