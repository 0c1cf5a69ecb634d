/**
 * The console's messages about the system — signing keys and the effective configuration — English and German;
 * admin-messages.ts spreads them into its tables, so they share its key type while each file stays short.
 */
export const systemEn = {
  'nav.keys': 'Signing keys',
  'home.keys': 'See the keys that sign and verify tokens — which one signs, which are retired but still verify — and rotate them.',

  'keys.title': 'Signing keys',
  'keys.intro': 'Access tokens are signed with {algorithm}. Every key listed verifies the tokens it signed and is published in the JWKS; a rotation makes new keys sign, and the old ones stay and keep verifying.',
  'keys.hmac': 'Access tokens are signed with HS512 and the secret tokens.hmacSecret from the configuration: no stored key signs them, so a rotation renews only the keys listed here. Change the secret to renew it.',
  'keys.caption': 'Stored keys, oldest first',
  'keys.none': 'No key is stored.',
  'keys.col.kid': 'Key id (kid)',
  'keys.col.algorithm': 'Algorithm',
  'keys.col.created': 'Created',
  'keys.col.state': 'State',
  'keys.state.signer': 'signs access tokens',
  'keys.state.provider': 'signs for the OpenID provider',
  'keys.state.live': 'not retired',
  'keys.state.retired': 'retired {time}, still verifies',
  'keys.rotate': 'Rotate the keys…',
  'keys.cannotRotate': 'There is no stored key to rotate: access tokens are signed with HS512 and the OpenID provider is off.',
  'keys.rotated': 'New keys sign from now on: {kids}. This node uses them already; the others were told and load them within 30 seconds at the latest.',
  'keys.confirmTitle': 'Rotate the signing keys?',
  'keys.confirmText': 'A new key is made for {algorithms} and signs from now on; the current ones are retired. This cannot be undone. Tokens already issued stay valid, since retired keys keep verifying them, but an application that caches the JWKS must fetch it again to know the new key.',
  'keys.confirmSubmit': 'Rotate the keys',
};

export const systemDe: Record<keyof typeof systemEn, string> = {
  'nav.keys': 'Signaturschlüssel',
  'home.keys': 'Die Schlüssel sehen, die Tokens signieren und prüfen — welcher signiert, welche ausgemustert sind und noch prüfen — und sie erneuern.',

  'keys.title': 'Signaturschlüssel',
  'keys.intro': 'Zugriffstokens werden mit {algorithm} signiert. Jeder aufgeführte Schlüssel prüft die Tokens, die er signiert hat, und steht im JWKS; eine Erneuerung lässt neue Schlüssel signieren, und die alten bleiben und prüfen weiter.',
  'keys.hmac': 'Zugriffstokens werden mit HS512 und dem Geheimnis tokens.hmacSecret aus der Konfiguration signiert: Kein gespeicherter Schlüssel signiert sie, eine Erneuerung erneuert also nur die hier aufgeführten Schlüssel. Um das Geheimnis zu erneuern, ändern Sie es.',
  'keys.caption': 'Gespeicherte Schlüssel, älteste zuerst',
  'keys.none': 'Kein Schlüssel gespeichert.',
  'keys.col.kid': 'Schlüssel-ID (kid)',
  'keys.col.algorithm': 'Algorithmus',
  'keys.col.created': 'Erstellt',
  'keys.col.state': 'Zustand',
  'keys.state.signer': 'signiert Zugriffstokens',
  'keys.state.provider': 'signiert für den OpenID-Provider',
  'keys.state.live': 'nicht ausgemustert',
  'keys.state.retired': 'ausgemustert {time}, prüft noch',
  'keys.rotate': 'Schlüssel erneuern …',
  'keys.cannotRotate': 'Es gibt keinen gespeicherten Schlüssel zu erneuern: Zugriffstokens werden mit HS512 signiert, und der OpenID-Provider ist aus.',
  'keys.rotated': 'Ab jetzt signieren neue Schlüssel: {kids}. Dieser Knoten verwendet sie schon; die anderen wurden benachrichtigt und laden sie spätestens in 30 Sekunden.',
  'keys.confirmTitle': 'Signaturschlüssel erneuern?',
  'keys.confirmText': 'Für {algorithms} wird ein neuer Schlüssel erstellt, der ab jetzt signiert; die bisherigen werden ausgemustert. Das lässt sich nicht rückgängig machen. Bereits ausgestellte Tokens bleiben gültig, da ausgemusterte Schlüssel sie weiter prüfen, aber eine Anwendung, die das JWKS zwischenspeichert, muss es neu abrufen, um den neuen Schlüssel zu kennen.',
  'keys.confirmSubmit': 'Schlüssel erneuern',
};
