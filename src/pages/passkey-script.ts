import { createHash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';

/**
 * The browser half of the passkey ceremonies for the hosted pages, as a same-origin file (their CSP allows no inline
 * script). A form opts in with `data-passkey="login" | "second-step" | "register" | "enrol" | "step-up"` and holds
 * a hidden `credential` field (and, for the second step and enrolment within a sign-in, its `mfaToken`, which
 * enrolment presents as its bearer token: no session exists yet); on submit the script fetches the ceremony's options, runs
 * `navigator.credentials.get/create`, writes the answer as WebAuthn JSON into `credential` and submits the form to its
 * own action. A `[data-passkey-error]` element in the form shows what went wrong. Hand-written base64url glue: the
 * pages load nothing else. A page with several passkey forms links the script once per form: each form is bound once.
 */
const SOURCE = String.raw`'use strict';
(function () {
  var OPTIONS = {
    login: '/api/auth/passkey/options', 'second-step': '/api/auth/mfa/webauthn/options', register: '/api/auth/passkeys/options',
    enrol: '/api/auth/passkeys/options', 'step-up': '/api/auth/passkeys/step-up/options'
  };
  function toBuffer(text) {
    var binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
    return Uint8Array.from(binary, function (c) { return c.charCodeAt(0); }).buffer;
  }
  function toText(buffer) {
    var bytes = new Uint8Array(buffer), binary = '';
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function descriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: toBuffer(d.id) }); });
  }
  function asJson(credential) {
    var r = credential.response, response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      if (r.getTransports) response.transports = r.getTransports();
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      if (r.userHandle) response.userHandle = toText(r.userHandle);
    }
    var json = { id: credential.id, rawId: toText(credential.rawId), type: credential.type, response: response, clientExtensionResults: credential.getClientExtensionResults() };
    if (credential.authenticatorAttachment) json.authenticatorAttachment = credential.authenticatorAttachment;
    return json;
  }
  async function ceremony(form, kind) {
    var body = kind === 'second-step' ? { mfaToken: form.elements.mfaToken.value } : {};
    var headers = { 'content-type': 'application/json' };
    if (kind === 'enrol') headers.authorization = 'Bearer ' + form.elements.mfaToken.value;
    var answer = await fetch(OPTIONS[kind], { method: 'POST', credentials: 'same-origin', headers: headers, body: JSON.stringify(body) });
    var options = await answer.json();
    if (!answer.ok) throw new Error(options.detail || options.title || 'the server refused');
    var credential = kind === 'register' || kind === 'enrol'
      ? await navigator.credentials.create({ publicKey: Object.assign({}, options, { challenge: toBuffer(options.challenge), user: Object.assign({}, options.user, { id: toBuffer(options.user.id) }), excludeCredentials: descriptors(options.excludeCredentials) }) })
      : await navigator.credentials.get({ publicKey: Object.assign({}, options, { challenge: toBuffer(options.challenge), allowCredentials: descriptors(options.allowCredentials) }) });
    form.elements.credential.value = JSON.stringify(asJson(credential));
    HTMLFormElement.prototype.submit.call(form);
  }
  function show(form, error) {
    var target = form.querySelector('[data-passkey-error]');
    if (!target) return;
    target.textContent = error && error.name === 'NotAllowedError' ? (target.getAttribute('data-cancelled') || 'The passkey was not used.') : String(error && error.message || error);
    target.hidden = false;
  }
  function start() {
    var forms = document.querySelectorAll('form[data-passkey]');
    for (var i = 0; i < forms.length; i++) {
      var form = forms[i];
      if (form.hasAttribute('data-passkey-bound')) continue;
      form.setAttribute('data-passkey-bound', '');
      if (!window.PublicKeyCredential) { form.hidden = true; continue; }
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        var target = event.currentTarget;
        ceremony(target, target.getAttribute('data-passkey')).catch(function (error) { show(target, error); });
      });
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
`;

/** The script's version: pages link `PASSKEY_SCRIPT_PATH`, which changes with it, so browsers may keep it for a year. */
const VERSION = createHash('sha256').update(SOURCE).digest('base64url').slice(0, 16);

/** Where hosted pages load the passkey script from (`<script src="…" defer>`), versioned. */
export const PASSKEY_SCRIPT_PATH = `/assets/passkey.js?v=${VERSION}`;

/**
 * `GET /assets/passkey.js`: the versioned URL is immutable (cached a year); the bare one, or an old version, must be
 * revalidated (ETag), so a page from before an upgrade never runs a stale script for long.
 */
export const passkeyScriptRoutes: FastifyPluginAsync = async (app) => {
  const etag = `"${VERSION}"`;
  app.get('/assets/passkey.js', {
    schema: { hide: true, querystring: Type.Object({ v: Type.Optional(Type.String({ maxLength: 64 })) }) },
  }, async (request, reply) => {
    const { v } = request.query as { v?: string };
    reply.headers({
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': v === VERSION ? 'public, max-age=31536000, immutable' : 'public, no-cache',
      etag,
    });
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.send(SOURCE);
  });
};
