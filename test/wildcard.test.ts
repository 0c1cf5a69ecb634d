import { describe, expect, it } from 'vitest';
import { implies, isPermitted, isValidPermission } from '../src/permissions/wildcard.js';

/*
 * Shiro's WildcardPermission.implies, case by case (seed 000: "permissions are hierarchically organized in a
 * Shiro-like manner"). Every expectation was derived from Apache Shiro's WildcardPermission source (setParts:
 * StringUtils.clean, toLowerCase, String.split on ':' then ','; implies: containsAll per part, shorter implies
 * longer, extra granted parts only if `*`) and checked against a transcription of it run on a JVM.
 */
const cases: Array<[granted: string, required: string, expected: boolean, why: string]> = [
  // parts
  ['accounts', 'accounts', true, 'equal single part'],
  ['accounts:read', 'accounts:read', true, 'equal two parts'],
  ['a:b:c:d', 'a:b:c:d', true, 'equal four parts'],
  ['accounts:read', 'accounts:write', false, 'different action'],
  ['accounts:read', 'groups:read', false, 'different domain'],
  // shorter granted implies longer required
  ['accounts', 'accounts:read', true, 'one part implies two'],
  ['accounts', 'accounts:read:123', true, 'one part implies three'],
  ['accounts:read', 'accounts:read:123', true, 'two parts imply three'],
  ['a', 'a::b', true, 'prefix implies a longer one with an empty part'],
  // longer granted implies shorter required only when its extra parts are `*`
  ['accounts:read', 'accounts', false, 'extra part read is not a wildcard'],
  ['a:b:c:d', 'a:b:c', false, 'extra part d'],
  ['accounts:*', 'accounts', true, 'extra part is *'],
  ['accounts:*:*', 'accounts', true, 'extra parts all *'],
  ['accounts:read:*', 'accounts:read', true, 'trailing * part'],
  ['accounts:*:read', 'accounts', false, 'second extra part is not *'],
  ['*:*:*', '*', true, 'all-wildcard longer'],
  ['*:*', 'a', true, 'wildcard domain, wildcard extra part'],
  // `*` anywhere in granted
  ['*', 'anything:at:all', true, 'star implies everything'],
  ['*', 'a', true, 'star implies one part'],
  ['*:read', 'accounts:read', true, 'star in the first part'],
  ['*:read', 'accounts:write', false, 'star in the first part, other action'],
  ['*:read', 'accounts', false, 'star first, extra part read'],
  ['accounts:*:123', 'accounts:write:123', true, 'star in the middle'],
  ['accounts:*:123', 'accounts:write:456', false, 'star in the middle, other instance'],
  ['accounts:*:123', 'accounts:write', false, 'star in the middle, extra instance part'],
  ['accounts:read,*', 'accounts:anything', true, 'star inside a list is a wildcard'],
  // `*` in required is an ordinary token unless granted has `*` there
  ['accounts:read', 'accounts:*', false, 'read does not cover *'],
  ['accounts:*', 'accounts:*', true, 'star covers star'],
  ['*', '*', true, 'star implies star'],
  ['accounts', '*', false, 'a domain does not cover *'],
  ['acc*', 'accounts', false, 'a star inside a token is literal, not a glob'],
  ['acc*', 'ACC*', true, 'the literal matches itself'],
  // comma lists in granted
  ['accounts:read,write', 'accounts:read', true, 'list contains read'],
  ['accounts:read,write', 'accounts:write', true, 'list contains write'],
  ['accounts:read,write', 'accounts:delete', false, 'list lacks delete'],
  ['accounts,groups:read', 'groups:read', true, 'list in the first part'],
  ['accounts,groups:read', 'clients:read', false, 'first-part list lacks clients'],
  // comma lists in required: every token must be covered
  ['accounts:read,write', 'accounts:read,write', true, 'same list'],
  ['accounts:read,write', 'accounts:write,read', true, 'order does not matter'],
  ['accounts:read,write,delete', 'accounts:read,delete', true, 'subset'],
  ['accounts:read', 'accounts:read,write', false, 'not a superset'],
  ['accounts:*', 'accounts:read,write', true, 'star covers a list'],
  ['accounts', 'accounts:read,write', true, 'shorter covers a list'],
  ['accounts:read,read', 'accounts:read', true, 'duplicates collapse'],
  // case-insensitive (Shiro's default)
  ['Accounts:READ', 'accounts:read', true, 'upper-case granted'],
  ['accounts:read', 'ACCOUNTS:Read', true, 'upper-case required'],
  // whitespace: only the ends are trimmed (StringUtils.clean); inside, a space is part of a token
  ['  accounts:read  ', 'accounts:read', true, 'outer spaces trimmed'],
  ['accounts:read', '\taccounts:read\n', true, 'outer tab and newline trimmed'],
  ['accounts: read', 'accounts:read', false, 'inner space is part of the token'],
  ['accounts:read, write', 'accounts:write', false, 'space after a comma is part of the token'],
  ['accounts:read, write', 'accounts: write', true, 'the same spaced token matches'],
  ['accounts:read\u00a0', 'accounts:read', false, 'a no-break space is not trimmed by Java'],
  // empty parts and tokens (Java's split keeps leading and inner empties, drops trailing ones)
  ['a::b', 'a::b', true, 'an empty part is the empty token'],
  ['a:*:b', 'a::b', true, 'star covers the empty token'],
  ['a::b', 'a:x:b', false, 'the empty token is not a wildcard'],
  ['accounts:read:', 'accounts:read', true, 'trailing divider dropped'],
  ['accounts:read,', 'accounts:read', true, 'trailing comma dropped'],
  ['accounts:,read', 'accounts:read', true, 'leading empty token plus read'],
  ['accounts:read', 'accounts:,read', false, 'required empty token not granted'],
  ['a,,b', 'b', true, 'inner empty token kept, b still listed'],
  [':a', 'a', false, 'leading empty part is the empty token'],
  [':a', ':a:b', true, 'leading empty part matches itself'],
  // strings Shiro refuses to construct imply nothing and are implied by nothing
  ['', 'a', false, 'blank granted'],
  ['   ', 'a', false, 'whitespace-only granted'],
  ['a', '', false, 'blank required'],
  [':', 'a', false, 'only a divider'],
  ['*', ':', false, 'required only a divider'],
  ['*', '::', false, 'required only dividers'],
  ['a:,', 'a', false, 'a part of only a comma'],
  ['*', 'a:,', false, 'required part of only a comma'],
];

describe('implies (Apache Shiro WildcardPermission)', () => {
  it('has at least 40 cases', () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases)('%j implies %j → %s (%s)', (granted, required, expected) => {
    expect(implies(granted, required)).toBe(expected);
  });

  it('answers the same when asked twice (parsed strings are cached)', () => {
    for (const [granted, required, expected] of cases) expect(implies(granted, required)).toBe(expected);
  });
});

describe('isPermitted', () => {
  it('is true when any granted permission implies the required one', () => {
    expect(isPermitted(['groups:read', 'accounts:read'], 'accounts:read')).toBe(true);
    expect(isPermitted(['groups:read', 'accounts:read'], 'accounts:write')).toBe(false);
    expect(isPermitted([], 'accounts:read')).toBe(false);
    expect(isPermitted(['', ':', 'accounts'], 'accounts:delete')).toBe(true);
  });
});

describe('isValidPermission (what may be stored)', () => {
  const valid = ['accounts', 'accounts:read', 'accounts:read,write', 'a,b:c', '*', 'a:*', '*:read', 'a.b-c_d:E9', 'accounts:read,*', 'x'.repeat(256)];
  const invalid = [
    '', ':', '::', 'a::b', 'a,,b', 'a:', ':a', 'a,', ',a', 'a:,', 'a b', ' a', 'a\u0000', 'a\n', 'acc*', '**', 'a:b*c',
    `' OR 1=1 --`, '<script>alert(1)</script>', 'a;drop table groups', 'ä', 'x'.repeat(257),
  ];
  it.each(valid)('accepts %j', (permission) => expect(isValidPermission(permission)).toBe(true));
  it.each(invalid)('refuses %j', (permission) => expect(isValidPermission(permission)).toBe(false));

  it('every valid permission implies itself', () => {
    for (const permission of valid) expect(implies(permission, permission)).toBe(true);
  });
});
