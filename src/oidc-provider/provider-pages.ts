import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { Branding } from '../pages/branding.js';
import { pickLanguage, t, type Lang } from '../pages/i18n.js';
import { html, page, pageHeadersAllowing, SafeHtml } from '../pages/layout.js';

type RpInitiatedLogout = NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>;

/**
 * The pages node-oidc-provider draws itself — the logout question, "you are signed out", its errors — in Gatehouse's
 * layout, language and CSP (no script; the logout form may lead to the app's post-logout URI only).
 */
export function providerPages(branding: Branding): { logout: RpInitiatedLogout; renderError: NonNullable<Configuration['renderError']> } {
  const send = (ctx: KoaContextWithOIDC, status: number, title: string, body: SafeHtml, lang: Lang, formOrigins: string[] = []) => {
    ctx.status = status;
    ctx.set(pageHeadersAllowing(formOrigins, branding));
    ctx.body = page(title, body, lang, branding);
  };
  return {
    logout: {
      enabled: true,
      // `form` is the provider's own hidden form (its CSRF token); our buttons submit it, "yes" ending the Gatehouse session too.
      logoutSource: async (ctx, form) => {
        const lang = languageOf(ctx);
        const target = ctx.oidc.params?.post_logout_redirect_uri;
        const body = html`<p>${t(lang, 'logout.intro', { product: branding.productName })}</p>
${new SafeHtml(form)}
<button autofocus type="submit" form="op.logoutForm" name="logout" value="yes">${t(lang, 'logout.yes')}</button>
<button type="submit" form="op.logoutForm" class="secondary">${t(lang, 'logout.no')}</button>`;
        send(ctx, 200, t(lang, 'logout.title'), body, lang, typeof target === 'string' && URL.canParse(target) ? [new URL(target).origin] : []);
      },
      postLogoutSuccessSource: async (ctx) => {
        const lang = languageOf(ctx);
        send(ctx, 200, t(lang, 'logout.done'), html`<p>${t(lang, 'logout.doneIntro')}</p>`, lang);
      },
    },
    renderError: async (ctx, out, error) => {
      const lang = languageOf(ctx);
      const status = (error as { status?: number }).status ?? 400;
      const body = html`<p>${t(lang, 'providerError.intro')}</p>
<p><code>${out.error}</code>${out.error_description ? html`: ${out.error_description}` : ''}</p>`;
      send(ctx, status >= 400 ? status : 400, t(lang, 'providerError.title'), body, lang);
    },
  };
}

function languageOf(ctx: KoaContextWithOIDC): Lang {
  return pickLanguage(ctx.get('accept-language') || undefined);
}
