/** A link relation of seed 000's entry point, with its documentation. */
export interface Relation {
  rel: string;
  /** Path template under baseUrl (RFC 6570 level 1–3). */
  href: string;
  title: string;
  target: string;
  description: string;
  methods: string[];
}

/** Every custom relation of seed 000's table, in its order (CONTRACT §5 "Discovery and keys"). */
export const relations: readonly Relation[] = [
  { rel: 'auth', href: '/auth', title: 'Auth', target: 'Auth Entry Point', description: 'The authentication entry point: links to login, registration, logout, password reset and the public key.', methods: ['GET'] },
  { rel: 'auth/public-key', href: '/auth/public-key', title: 'Public key', target: 'Auth/PublicKey', description: 'The public key (PEM) that verifies access-token JWTs; every live key is also at /.well-known/jwks.json.', methods: ['GET'] },
  { rel: 'auth/register', href: '/auth/register{?clientID}', title: 'Register', target: 'Auth/Signup', description: 'Registration with e-mail and password for a registered client: GET renders the page, POST creates the account, mails the confirmation link and delivers a token to the client.', methods: ['GET', 'POST'] },
  { rel: 'auth/login', href: '/auth/login{?clientID}', title: 'Sign in', target: 'Auth/Login', description: 'Sign in with e-mail and password for a registered client: GET renders the page, POST delivers the token by the client’s tokenMethod (query, cookie or body).', methods: ['GET', 'POST'] },
  { rel: 'auth/logout', href: '/auth/logout{?redirect}', title: 'Sign out', target: 'Auth/Logout', description: 'Ends the presented credential’s session and clears every auth cookie; redirect only to a registered callbackURL.', methods: ['GET', 'POST'] },
  { rel: 'auth/password-reset', href: '/auth/password-reset{?clientID,email}', title: 'Password reset', target: 'Auth/Password-Reset', description: 'Mails a password-reset link; the link opens a form on this server that sets the new password.', methods: ['GET'] },
  { rel: 'auth/change-email', href: '/auth/change-email', title: 'Change e-mail', target: 'Auth/Change-Email', description: 'Authenticated POST {email}: mails a confirmation link to the new address and a notice with a revert link to the old one.', methods: ['POST'] },
  { rel: 'auth/email-available', href: '/auth/email-available{?email}', title: 'E-mail available', target: 'Auth/Email-Available', description: 'Whether an e-mail address can still be registered: {available: boolean}.', methods: ['GET'] },
  { rel: 'auth/facebook', href: '/auth/facebook{?clientID}', title: 'Facebook', target: 'Auth/Facebook', description: 'Sign-in or registration with Facebook; redirects to Facebook and back to the client.', methods: ['GET'] },
  { rel: 'auth/google', href: '/auth/google{?clientID}', title: 'Google', target: 'Auth/Google', description: 'Sign-in or registration with Google; redirects to Google and back to the client.', methods: ['GET'] },
  { rel: 'accounts', href: '/accounts{?page,size,email,group,type}', title: 'Accounts', target: 'Account List', description: 'The accounts the caller may see, paged, filterable by e-mail, group and type (needs accounts:read).', methods: ['GET'] },
  { rel: 'account', href: '/accounts/{accountID}', title: 'Account', target: 'Account', description: 'One account: GET, PUT {language, email, permissions, groups, confirmed, password, currentPassword}, DELETE.', methods: ['GET', 'PUT', 'DELETE'] },
  { rel: 'account/tokens', href: '/accounts/{accountID}/tokens', title: 'Tokens', target: 'Token List', description: 'The sessions (logins and API keys) of an account.', methods: ['GET'] },
  { rel: 'account/token', href: '/accounts/{accountID}/tokens/{tokenID}', title: 'Token', target: 'Token', description: 'One session of an account; DELETE ends it and every credential of it.', methods: ['GET', 'DELETE'] },
  { rel: 'account/create-anonymous', href: '/accounts/create-anonymous', title: 'Create API key', target: 'API Token', description: 'POST creates an API-key account with no e-mail and no permissions, and answers its long-lived token once: {jwt, accountID}.', methods: ['POST'] },
  { rel: 'acc/groups', href: '/groups{?page,size}', title: 'Groups', target: 'Account Group List', description: 'Permission groups (needs groups:read).', methods: ['GET', 'POST'] },
  { rel: 'acc/group', href: '/groups/{groupID}', title: 'Group', target: 'Account Group', description: 'One group {id, name, permissions, accounts}; PUT /groups/{id}/accounts/{accountId} and DELETE change membership.', methods: ['GET', 'PUT', 'DELETE'] },
  { rel: 'invites', href: '/invites', title: 'Invites', target: 'Invites Resource', description: 'POST {count} creates invitation codes for sign-up (signup.inviteOnly); GET lists the unused ones.', methods: ['GET', 'POST'] },
  // Beyond seed 000's table: the relations its lists embed items under.
  { rel: 'invite', href: '/invites/{inviteID}', title: 'Invite', target: 'Invite', description: 'One unused invitation (its code is shown only when created); DELETE withdraws it.', methods: ['GET', 'DELETE'] },
  { rel: 'clients', href: '/clients{?page,size}', title: 'Clients', target: 'Client List', description: 'Registered clients (needs clients:read; POST needs clients:write).', methods: ['GET', 'POST'] },
  { rel: 'client', href: '/clients/{clientID}', title: 'Client', target: 'Client', description: 'One registered client {clientID, callbackURL, config: {tokenMethod, disableStrategies}, name}; tokens go only to its callbackURL. An OpenID client also has redirectUris, postLogoutRedirectUris, grantTypes, tokenEndpointAuthMethod, scopes, firstParty, backchannelLogoutUri, jwks, jwksUri; its generated clientSecret is answered once, and POST /clients/{clientID}/secret rotates it.', methods: ['GET', 'PUT', 'DELETE'] },
];

/** The relation by name (`auth/public-key`), if it is one of ours. */
export function findRelation(rel: string): Relation | undefined {
  return relations.find((relation) => relation.rel === rel);
}
