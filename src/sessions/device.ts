/**
 * What device a session was started from, read from its User-Agent ("Chrome 156 on Linux"), for the account page
 * and any list of sessions. Why our own few lines: the common browsers and systems are a handful of tokens, and a
 * UA database package would be a large dependency for one label. Anything not recognised is shown as sent, shortened.
 */

/** The parts of a User-Agent a person recognises; null where none was found. */
export interface Device {
  browser: string | null;
  os: string | null;
}

/** Longest raw agent shown for an unrecognised client (curl, scripts, bots). */
export const MAX_RAW_AGENT = 60;

/**
 * Browsers in the order they must be tested: Edge and Opera are built on Chromium and say "Chrome/" too, Chrome says
 * "Safari/" too, and the iOS builds of each name themselves differently (CriOS, FxiOS, EdgiOS, OPiOS).
 */
const BROWSERS: ReadonlyArray<[name: string, pattern: RegExp]> = [
  ['Edge', /\b(?:Edg|EdgA|EdgiOS|Edge)\/(\d+)/],
  ['Opera', /\b(?:OPR|OPiOS|Opera)\/(\d+)/],
  ['Firefox', /\b(?:Firefox|FxiOS)\/(\d+)/],
  ['Chromium', /\bChromium\/(\d+)/],
  ['Chrome', /(?:\b|Headless)(?:Chrome|CriOS)\/(\d+)/],
  ['Safari', /\bVersion\/(\d+)(?:[.\d]*)? (?:Mobile\/\w+ )?Safari\//],
];

/** Systems, also in test order: Android says "Linux", iOS says "like Mac OS X". */
const SYSTEMS: ReadonlyArray<[name: string, pattern: RegExp]> = [
  ['Android', /\bAndroid\b/],
  ['iOS', /\b(?:iPhone|iPad|iPod)\b/],
  ['Windows', /\bWindows\b/],
  ['macOS', /\bMac OS X\b|\bMacintosh\b/],
  ['ChromeOS', /\bCrOS\b/],
  ['Linux', /\bLinux\b|\bX11\b/],
];

/** The browser (name and major version) and system of a User-Agent header. */
export function parseUserAgent(userAgent: string): Device {
  const agent = userAgent.slice(0, 512);
  const browser = BROWSERS.map(([name, pattern]) => [name, pattern.exec(agent)] as const).find(([, match]) => match);
  const os = SYSTEMS.find(([, pattern]) => pattern.test(agent));
  return { browser: browser ? `${browser[0]} ${browser[1]![1]}` : null, os: os ? os[0] : null };
}

/**
 * A label for a session's device: "Chrome 156 on Linux" (with `on` in the page's language), the browser or system
 * alone when only one is known, else the raw agent shortened; null without an agent.
 */
export function describeDevice(userAgent: string | null | undefined, on = 'on'): string | null {
  const agent = userAgent?.trim();
  if (!agent) return null;
  const { browser, os } = parseUserAgent(agent);
  if (browser && os) return `${browser} ${on} ${os}`;
  if (browser) return browser;
  return agent.length > MAX_RAW_AGENT ? `${agent.slice(0, MAX_RAW_AGENT - 1)}…` : agent;
}
