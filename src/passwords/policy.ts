/** The `password.policy.*` configuration (seed 004 `entrystore.auth.password.rule.*`). */
export interface PasswordPolicy {
  /** Require at least one lowercase letter (`\p{Ll}`). */
  lowercase: boolean;
  /** Require at least one uppercase letter (`\p{Lu}`). */
  uppercase: boolean;
  /** Require at least one decimal digit (`\p{Nd}`). */
  number: boolean;
  /** Require at least one character that is neither a letter nor a digit; whitespace counts. */
  symbol: boolean;
  /** Fewest Unicode code points allowed. */
  minLength: number;
  /** Regular expression sources (compiled with the `u` flag) that must each match somewhere in the password. */
  custom: string[];
}

/** One unmet rule, so the `password-policy` problem can list every reason at once (CONTRACT §4). */
export interface PolicyViolation {
  rule: 'minLength' | 'maxLength' | 'lowercase' | 'uppercase' | 'number' | 'symbol' | 'custom';
  /** Human-readable English, meant to follow "The password …". */
  message: string;
  /** The custom pattern's source, for `custom` violations only. */
  pattern?: string;
}

/** Seed 004: "any characters, but its length must not exceed 2048" — applies whatever the policy says. */
export const MAX_PASSWORD_LENGTH = 2048;

const LOWERCASE = /\p{Ll}/u;
const UPPERCASE = /\p{Lu}/u;
const DIGIT = /\p{Nd}/u;
const SYMBOL = /[^\p{L}\p{Nd}]/u;

/**
 * Compiles a policy into a checker; custom patterns are compiled here, once, so an invalid one fails at
 * start-up (a `SyntaxError` naming the pattern) rather than on someone's registration.
 */
export function compilePolicy(policy: PasswordPolicy): (password: string) => PolicyViolation[] {
  const custom = policy.custom.map((source) => {
    try {
      return { source, re: new RegExp(source, 'u') };
    } catch (err) {
      throw new SyntaxError(`password.policy.custom: invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message}`);
    }
  });
  const { minLength } = policy;

  return (password) => {
    const violations: PolicyViolation[] = [];
    const length = countCodePoints(password, Math.max(minLength, MAX_PASSWORD_LENGTH) + 1);
    if (length < minLength) violations.push({ rule: 'minLength', message: `must be at least ${plural(minLength)}` });
    if (length > MAX_PASSWORD_LENGTH) violations.push({ rule: 'maxLength', message: `must be at most ${plural(MAX_PASSWORD_LENGTH)}` });
    if (policy.lowercase && !LOWERCASE.test(password)) violations.push({ rule: 'lowercase', message: 'must contain a lowercase letter' });
    if (policy.uppercase && !UPPERCASE.test(password)) violations.push({ rule: 'uppercase', message: 'must contain an uppercase letter' });
    if (policy.number && !DIGIT.test(password)) violations.push({ rule: 'number', message: 'must contain a digit' });
    if (policy.symbol && !SYMBOL.test(password)) {
      violations.push({ rule: 'symbol', message: 'must contain a symbol (a character that is not a letter or digit)' });
    }
    for (const { source, re } of custom) {
      if (!re.test(password)) violations.push({ rule: 'custom', message: `must match the pattern ${source}`, pattern: source });
    }
    return violations;
  };
}

/** Lists every unmet rule in a stable order (lengths, classes, then custom patterns in config order); `[]` when fine. */
export function checkPasswordPolicy(password: string, policy: PasswordPolicy): PolicyViolation[] {
  return compilePolicy(policy)(password);
}

// Same count as [...password].length, without building an array for an oversized body.
function countCodePoints(text: string, stopAt: number): number {
  let n = 0;
  for (const _ of text) if (++n >= stopAt) break;
  return n;
}

function plural(n: number): string {
  return n === 1 ? '1 character' : `${n} characters`;
}
