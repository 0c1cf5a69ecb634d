/**
 * Reads a new password for `admin create` and `admin set-password`: all of stdin when it is a pipe or a file, else
 * a prompt on the terminal, twice, without echo. Why: a password in argv would show in `ps` and shell history.
 */
import { CliError } from './errors.js';

/** The streams the password is read from and the prompts written to; `process`'s by default, tests pass others. */
export interface PasswordIo {
  stdin: NodeJS.ReadStream;
  stderr: NodeJS.WritableStream;
}

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACES = new Set(['\u007f', '\b']);

/**
 * The password, or '' when stdin is empty. A terminal asks twice and throws a CliError when the two differ.
 * One trailing newline of piped input is dropped (`echo "$PW" |`), any other character is part of the password.
 */
export async function readNewPassword(io: PasswordIo = process): Promise<string> {
  if (!io.stdin.isTTY) return (await readAll(io.stdin)).replace(/\r?\n$/, '');
  const first = await promptHidden(io, 'New password: ');
  if (first === '') return '';
  const second = await promptHidden(io, 'Repeat the password: ');
  if (first !== second) throw new CliError('the two passwords differ; nothing was changed');
  return first;
}

/** Whether {@link readNewPassword} would prompt; why: a command checks its flags before asking for a password. */
export function willPrompt(io: PasswordIo = process): boolean {
  return io.stdin.isTTY === true;
}

async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** One line read in raw mode, so nothing is echoed; Backspace edits, Ctrl-C cancels, Enter or Ctrl-D ends it. */
function promptHidden(io: PasswordIo, prompt: string): Promise<string> {
  const { stdin, stderr } = io;
  return new Promise((resolve, reject) => {
    let value: string[] = [];
    const finish = (error?: CliError) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write('\n');
      if (error) reject(error);
      else resolve(value.join(''));
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n' || char === CTRL_D) return finish();
        if (char === CTRL_C) return finish(new CliError('cancelled; nothing was changed', 130));
        if (BACKSPACES.has(char)) value = value.slice(0, -1);
        else if (char >= ' ') value.push(char);
      }
    };
    stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}
