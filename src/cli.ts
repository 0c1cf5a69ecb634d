// First: on too old a Node.js, one line saying what to install, before anything else loads.
import './runtime-check.js';
import { failureMessage, main } from './cli/main.js';

/*
 * The `gatehouse` command (package.json `bin` runs dist/cli.js). The commands live in src/cli/; see
 * `gatehouse help`.
 */
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const failure = failureMessage(error);
    process.stderr.write(failure.text);
    process.exitCode = failure.exitCode;
  },
);
