import { describe, expect, it } from 'vitest';
import { acrOutcome, acrRequestOf, wantsMultiFactor } from '../src/oidc-provider/acr.js';

const LOA1 = 'urn:gatehouse:loa:1';
const LOA2 = 'urn:gatehouse:loa:2';
const essential = (acr: Record<string, unknown>) => JSON.stringify({ id_token: { acr: { essential: true, ...acr } } });

/**
 * What an authorization request's `acr_values` and `claims` ask of the class (src/oidc-provider/acr.ts), and the
 * decision for a sign-in of a class: the table of docs/oidc-provider.md "Asking for a second factor". The browser
 * flows are in oidc-provider.acr.browser.test.ts; these pin the edges no browser test walks.
 */
describe('acr_values and claims acr: what a request asks for', () => {
  it('reads the preferred class (first of acr_values) and the essential ones (value or values)', () => {
    expect(acrRequestOf({ acr_values: `${LOA2} ${LOA1}` })).toEqual({ preferred: LOA2 });
    expect(acrRequestOf({ claims: essential({ value: LOA2 }) })).toEqual({ preferred: undefined, essential: [LOA2] });
    expect(acrRequestOf({ claims: essential({ values: [LOA1, LOA2] }) }).essential).toEqual([LOA1, LOA2]);
    // Not essential: voluntary, as acr_values are.
    expect(acrRequestOf({ claims: JSON.stringify({ id_token: { acr: { value: LOA2 } } }) }).essential).toBeUndefined();
    expect(acrRequestOf({ claims: '{not json' })).toEqual({ preferred: undefined });
    expect(acrRequestOf({})).toEqual({ preferred: undefined });
  });

  it('wants a second factor for loa:2 first in acr_values, or loa:2 as the only essential class', () => {
    expect(wantsMultiFactor({ preferred: LOA2 })).toBe(true);
    expect(wantsMultiFactor({ preferred: LOA1 })).toBe(false);
    expect(wantsMultiFactor({ essential: [LOA2] })).toBe(true);
    expect(wantsMultiFactor({ essential: [LOA1, LOA2] })).toBe(false);
    expect(wantsMultiFactor({ preferred: LOA2, essential: [LOA1, LOA2] })).toBe(true);
    expect(wantsMultiFactor({ preferred: LOA2, essential: [LOA1] })).toBe(false);
  });
});

describe('the decision for a sign-in of a class', () => {
  const factor = async () => true;
  const none = async () => false;

  it('steps a single-factor sign-in up when loa:2 is wanted and the account has a factor', async () => {
    expect(await acrOutcome({ preferred: LOA2 }, LOA1, factor)).toBe('step-up');
    expect(await acrOutcome({ essential: [LOA2] }, LOA1, factor)).toBe('step-up');
  });

  it('hands a sign-in over as it is when nothing more is wanted, or a voluntary class cannot be reached', async () => {
    expect(await acrOutcome({ preferred: LOA2 }, LOA2, factor)).toBe('as-is');
    expect(await acrOutcome({}, LOA1, factor)).toBe('as-is');
    expect(await acrOutcome({ preferred: LOA2 }, LOA1, none)).toBe('as-is');
    expect(await acrOutcome({ essential: [LOA1, LOA2] }, LOA1, factor)).toBe('as-is');
  });

  it('refuses (unmet_authentication_requirements) what an essential class rules out, instead of looping', async () => {
    expect(await acrOutcome({ essential: [LOA2] }, LOA1, none)).toBe('unmet');
    expect(await acrOutcome({ essential: [LOA1] }, LOA2, factor)).toBe('unmet');
  });

  it('asks for the account\'s factors only when a step-up is in question', async () => {
    let asked = 0;
    const counting = async () => { asked += 1; return true; };
    await acrOutcome({ preferred: LOA2 }, LOA2, counting);
    await acrOutcome({}, LOA1, counting);
    expect(asked).toBe(0);
  });
});
