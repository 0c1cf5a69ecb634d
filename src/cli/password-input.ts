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
  const [first, second] = await promptHidden(io, ['New password: ', 'Repeat the password: ']);
  if (first === '') return '';
  if (first !== second) throw new CliError('the two passwords differ; nothing was changed');
  return first!;
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

/**
 * One line per prompt, all read in ONE raw-mode stretch, so nothing is echoed — not even a line typed ahead while the
 * next prompt is being written (leaving raw mode between prompts let the terminal echo it). Backspace edits, Ctrl-C
 * cancels, Enter or Ctrl-D ends a line; an empty first line ends at once.
 */
function promptHidden(io: PasswordIo, prompts: string[]): Promise<string[]> {
  const { stdin, stderr } = io;
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let value: string[] = [];
    const finish = (error?: CliError) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      if (error) reject(error);
      else resolve(lines);
    };
    const endLine = (): boolean => {
      lines.push(value.join(''));
      value = [];
      stderr.write('\n');
      if (lines.length === prompts.length || lines[0] === '') return true;
      stderr.write(prompts[lines.length]!);
      return false;
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n' || char === CTRL_D) {
          if (endLine()) return finish();
        } else if (char === CTRL_C) {
          stderr.write('\n');
          return finish(new CliError('cancelled; nothing was changed', 130));
        } else if (BACKSPACES.has(char)) value = value.slice(0, -1);
        else if (char >= ' ') value.push(char);
      }
    };
    // Raw mode before the prompt: a person (or a test) answering the moment it shows must not be echoed.
    stdin.setRawMode(true);
    stderr.write(prompts[0]!);
    stdin.on('data', onData);
    stdin.resume();
  });
}
