/**
 * What `gatehouse help`, `gatehouse <command> --help` and a bare `gatehouse` print (CONTRACT §1).
 * Why one table: the overview and each command's own usage are written once and cannot disagree.
 */

/** The help of one command; why a record: the overview and `<command> --help` read the same fields. */
export interface CommandHelp {
  /** The command words, e.g. `admin set-password`. */
  readonly name: string;
  /** Its options after the name, as the usage line shows them. */
  readonly options: string;
  /** One line for the overview. */
  readonly summary: string;
  /** The rest of its own usage: what it does, each option, what it prints. */
  readonly details: string;
}

const CONFIG_OPTION = '  --config FILE, -c FILE   the configuration file (YAML or JSON; default: $GATEHOUSE_CONFIG, else none)';

/** Every command, in the order the overview lists them; a test checks each command the CLI runs is here. */
export const COMMAND_HELP: readonly CommandHelp[] = [
  {
    name: 'serve', options: '', summary: 'start the server (what `npm start` runs)',
    details: `Applies pending migrations, creates the admin account on the very first start, listens on server.host:server.port,
and logs one start-up summary: database, mail transport, admin state, providers, base URL, cluster bus.
SIGTERM or SIGINT: stops taking new requests, finishes those in flight, then exits 0.
A database that cannot be reached stops it with exit code 1 and one line naming the cause.`,
  },
  {
    name: 'migrate', options: '', summary: 'apply pending database migrations',
    details: 'Prints the migrations it applied, or "database is up to date". `serve` also migrates at start.',
  },
  {
    name: 'config check', options: '', summary: 'print the effective configuration, secrets masked',
    details: `Reads the file and the environment as \`serve\` would and prints the result as YAML, secrets masked.
Invalid configuration: exit code 1 and one line per problem (an unknown key names the nearest known one).`,
  },
  {
    name: 'admin create', options: '--username NAME --email ADDRESS [--role sysadmin|admin]',
    summary: 'create an administrator (the password from stdin or a prompt)',
    details: `The password is read from stdin when it is not a terminal (one trailing newline is dropped), else prompted
twice without echo; the password policy (password.policy) applies.
  --username NAME   the login name
  --email ADDRESS   the account's e-mail address
  --role ROLE       sysadmin (default) or admin`,
  },
  {
    name: 'admin set-password', options: '[--username NAME]',
    summary: 'set the admin\'s (or another account\'s) password, from stdin or a prompt',
    details: `Sets the password of an account that logs in with one — the admin created at first start when
GATEHOUSE_ADMIN_PASSWORD came too late, or any other. The password is read from stdin when it is not a terminal
(one trailing newline is dropped), else prompted twice without echo. The bootstrap's rule applies: at least
8 characters. Every session of the account ends and outstanding e-mailed links are voided (running servers
learn it at once through PostgreSQL NOTIFY or Redis; a server on SQLite within a minute); the change is audited
as password.changed by "cli".
  --username NAME   the account's username or e-mail (default: admin.username, "admin")
Example:  printf '%s' "$NEW_PASSWORD" | npx gatehouse admin set-password`,
  },
  {
    name: 'apikey create', options: '', summary: 'create an API key; prints {"jwt", "accountID"} once',
    details: 'The token is shown once and not stored; keep it. It is a JWT valid for tokens.apiKeyTtl.',
  },
  {
    name: 'keys rotate', options: '', summary: 'make a new signing key current; older keys keep verifying their tokens',
    details: 'Running nodes load the new key at once (PostgreSQL NOTIFY or Redis), or within 30 s.',
  },
  {
    name: 'client add', options: '--id ID --callback URL [--name NAME] [--token-method query,cookie,body] [--disable password,google,…] [OpenID options]',
    summary: 'register a client (tokens go only to exactly this callback URL); OpenID options make it an OpenID client',
    details: `  --id ID              the clientID
  --callback URL       the only URL tokens are delivered to, matched exactly
  --name NAME          what the hosted pages call the application ("Sign in to NAME"); optional
  --token-method LIST  how the token is delivered: query (default), cookie, body
  --disable LIST       sign-in methods this client may not use: password, google, facebook, oidc, saml, cas, oidc:<id>
OpenID options (any of them makes an OpenID client; the others take their defaults):
  --redirect-uri URI              where authorization codes may go (repeat for more); https, http only on loopback
  --post-logout-redirect-uri URI  where RP-initiated logout may return (repeat for more)
  --grant-type LIST               authorization_code, refresh_token, client_credentials (default the first two)
  --auth-method METHOD            client_secret_basic (default), client_secret_post, private_key_jwt, none (public, PKCE)
  --scope LIST                    allowed scopes (default openid profile email offline_access; also roles, groups, permissions)
  --first-party                   skip the consent page
  --backchannel-logout-uri URI    where logout tokens are posted (OIDC Back-Channel Logout)
  --jwks FILE | --jwks-uri URI    the public keys of a private_key_jwt client, from a JSON file or a URL
A client that authenticates with a secret gets one generated, printed once; only its hash is stored.`,
  },
  { name: 'client list', options: '', summary: 'list the registered clients', details: 'From the configuration file and the database.' },
  { name: 'client remove', options: '--id ID', summary: 'remove a client', details: '  --id ID   the clientID to remove' },
  {
    name: 'client secret', options: '--id ID', summary: 'give an OpenID client a new secret, printed once; the old one stops working',
    details: '  --id ID   the clientID (a client with tokenEndpointAuthMethod client_secret_basic or client_secret_post)',
  },
  {
    name: 'help', options: '[COMMAND]', summary: 'print this text, or a command\'s own usage (also --help, -h)',
    details: 'Also `gatehouse <command> --help`.',
  },
];

/** The usage line of one command. */
function usageLine(help: CommandHelp): string {
  return `Usage: gatehouse ${help.name}${help.options ? ` ${help.options}` : ''} [--config FILE]`;
}

/** The overview a bare `gatehouse` and `gatehouse help` print; why: a bare command must not start a server. */
export function overview(): string {
  const rows = COMMAND_HELP.map((help) => {
    const head = `  ${help.name}${help.options ? ` ${help.options}` : ''}`;
    return head.length <= 21 ? `${head.padEnd(24)}${help.summary}` : `${head}\n${' '.repeat(24)}${help.summary}`;
  });
  return `Usage: gatehouse <command> [--config FILE]\n\nCommands:\n${rows.join('\n')}\n\n`
    + 'Run `gatehouse <command> --help` (or `gatehouse help <command>`) for a command\'s own usage.\n'
    + 'Start the server with `gatehouse serve` (`npm start`).\n';
}

/**
 * The usage of the commands named by `words`: one command (`admin set-password`), or every command of a group
 * (`admin`, `client`); null when none matches. Why: `gatehouse admin --help` should list what `admin` can do.
 */
export function commandUsage(words: readonly string[]): string | null {
  const name = words.join(' ');
  const exact = COMMAND_HELP.find((help) => help.name === name);
  const shown = exact ? [exact] : COMMAND_HELP.filter((help) => name !== '' && help.name.startsWith(`${name} `));
  if (shown.length === 0) return null;
  return `${shown.map((help) => `${usageLine(help)}\n\n${help.summary[0]!.toUpperCase()}${help.summary.slice(1)}.\n${help.details}\n`).join('\n')}\nOptions of every command:\n${CONFIG_OPTION}\n`;
}
