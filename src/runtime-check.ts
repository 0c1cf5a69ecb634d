/**
 * Stops the process with one line when the Node.js running it is older than Gatehouse supports (CONTRACT §1: the
 * maintained LTS lines 22 and 24). Imported first by the CLI, so the line comes before any module could fail on an
 * old runtime with a stack trace a newcomer cannot read.
 */
import { unsupportedNodeMessage } from './runtime.js';

const message = unsupportedNodeMessage(process.versions.node);
if (message !== null) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
