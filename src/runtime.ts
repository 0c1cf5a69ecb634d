/** The oldest Node.js major Gatehouse runs on; why: 20 reached end of life in April 2026, 22 and 24 are maintained. */
export const MIN_NODE_MAJOR = 22;

/**
 * The one line that tells a user on too old a Node.js what to install, or null when `version` (`process.versions.node`,
 * e.g. `20.19.0`) is supported.
 */
export function unsupportedNodeMessage(version: string): string | null {
  const major = Number(version.split('.')[0]);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return null;
  return `gatehouse: Node.js ${version} is too old; install Node.js 24 LTS (or 22) — e.g. \`. scripts/use-node24.sh\` in this folder on Linux x64, or from nodejs.org — and run the command again`;
}
