import type { Config } from '../config/index.js';
import { cryptoRandom, systemClock } from '../clock.js';
import { openDatabase } from '../db/database.js';
import { createMailer } from '../email/mailer.js';
import { createServices } from '../services.js';

const quietLog = { info: () => undefined, warn: () => undefined };

/**
 * `gatehouse apikey create`: an API key from the command line (seed 000), printed once as JSON
 * `{jwt, accountID}` — the token is not stored and cannot be shown again.
 */
export async function apikeyCreate(config: Config): Promise<number> {
  const database = openDatabase(config.database.url);
  const mailer = createMailer({ ...config.email, logger: quietLog });
  try {
    const services = await createServices(config, {
      database, mailer, clock: systemClock, random: cryptoRandom,
      logError: (error, message) => process.stderr.write(`${message}: ${String(error)}\n`),
    });
    try {
      process.stdout.write(`${JSON.stringify(await services.accountAdmin.createApiKey(null))}\n`);
    } finally {
      await services.bus.close();
    }
    return 0;
  } finally {
    await mailer.close();
    await database.close();
  }
}
