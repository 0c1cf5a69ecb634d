"""A relying party and API client built on Debian's python3-authlib, unmodified, for Gatehouse's OpenID provider tests.

Why a script of its own: the tests must show that a client someone else wrote works against Gatehouse (issue 18
item 6), so every protocol step here is authlib's — its OAuth2Session (requests), its client authentication methods
(client_secret_basic, private_key_jwt) and its JOSE implementation for checking what Gatehouse signed. The test
drives it one command at a time (JSON on stdin, JSON on stdout) and keeps whatever state lies between commands.
"""
import json
import os
import sys

# The test servers listen on loopback http; authlib refuses plain http unless told.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

import authlib  # noqa: E402
import requests  # noqa: E402
from authlib.common.security import generate_token  # noqa: E402
from authlib.integrations.base_client import OAuthError  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402
from authlib.jose import JsonWebKey, jwt  # noqa: E402
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign  # noqa: E402
from authlib.oidc.core import CodeIDToken  # noqa: E402


def key_set(metadata):
    """The provider's JWKS, fetched from the URL its discovery names."""
    return JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())


def verify_access_token(metadata, token, audience):
    """authlib's view of an RFC 9068 access token: signature by a key of the JWKS, iss, aud, exp."""
    options = {"iss": {"essential": True, "value": metadata["issuer"]}, "aud": {"essential": True, "value": audience}, "exp": {"essential": True}}
    claims = jwt.decode(token, key_set(metadata), claims_options=options)
    claims.validate()
    return {"header": dict(claims.header), "claims": dict(claims)}


def token_or_error(fetch):
    """The token endpoint's answer, or the OAuth error authlib raised for it."""
    try:
        return {"token": dict(fetch())}
    except OAuthError as error:
        return {"error": error.error, "description": error.description}


def client_credentials(data, metadata):
    session = OAuth2Session(data["clientId"], data["secret"], token_endpoint_auth_method="client_secret_basic", scope=data["scope"])
    # RFC 8707: `resource` names the API the token is for; its indicator is then the audience to verify.
    extra = {"resource": data["resource"]} if data.get("resource") else {}
    answer = token_or_error(lambda: session.fetch_token(metadata["token_endpoint"], grant_type="client_credentials", **extra))
    if "token" in answer and data.get("verify"):
        answer["verified"] = verify_access_token(metadata, answer["token"]["access_token"], data.get("resource") or data["clientId"])
    return answer


def private_key_jwt(data, metadata):
    endpoint = metadata["token_endpoint"]
    session = OAuth2Session(data["clientId"], data["privateKey"], token_endpoint_auth_method="private_key_jwt", scope=data["scope"])
    session.register_client_auth_method(PrivateKeyJWT(endpoint))
    answer = token_or_error(lambda: session.fetch_token(endpoint, grant_type="client_credentials"))
    if "token" in answer:
        answer["verified"] = verify_access_token(metadata, answer["token"]["access_token"], data["clientId"])
    return answer


def replayed_assertion(data, metadata):
    """One client assertion signed by authlib, presented twice: the second use must be refused."""
    endpoint = metadata["token_endpoint"]
    assertion = private_key_jwt_sign(data["privateKey"], data["clientId"], endpoint, alg="RS256")
    form = {
        "grant_type": "client_credentials", "scope": data["scope"], "client_id": data["clientId"],
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": assertion,
    }
    answers = [requests.post(endpoint, data=form, timeout=10) for _ in range(2)]
    return {"answers": [{"status": r.status_code, "body": r.json()} for r in answers]}


def code_session(data, metadata):
    return OAuth2Session(
        data["clientId"], data["secret"], token_endpoint_auth_method="client_secret_basic",
        revocation_endpoint_auth_method="client_secret_basic", scope=data["scope"],
        redirect_uri=data["redirectUri"], code_challenge_method="S256",
    )


def authorization_url(data, metadata):
    """authlib's authorization request: S256 PKCE, state and nonce of its own making."""
    verifier = generate_token(48)
    nonce = generate_token(24)
    url, state = code_session(data, metadata).create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    return {"url": url, "state": state, "verifier": verifier, "nonce": nonce}


def exchange_and_revoke(data, metadata):
    """The code exchange, the ID token checked by authlib's OIDC claims, then RFC 7009 revocation of the refresh token."""
    session = code_session(data, metadata)
    token = session.fetch_token(metadata["token_endpoint"], authorization_response=data["callback"], state=data["state"], code_verifier=data["verifier"])
    id_token = jwt.decode(
        token["id_token"], key_set(metadata), claims_cls=CodeIDToken,
        claims_options={"iss": {"value": metadata["issuer"]}},
        claims_params={"nonce": data["nonce"], "client_id": data["clientId"], "access_token": token["access_token"]},
    )
    id_token.validate()
    refresh = token["refresh_token"]
    introspect = lambda: session.introspect_token(metadata["introspection_endpoint"], token=refresh, token_type_hint="refresh_token").json()
    before = introspect()
    revoked = session.revoke_token(metadata["revocation_endpoint"], token=refresh, token_type_hint="refresh_token")
    after = introspect()
    refreshed = token_or_error(lambda: session.refresh_token(metadata["token_endpoint"], refresh_token=refresh))
    return {
        "idToken": dict(id_token), "before": before, "revocationStatus": revoked.status_code, "after": after,
        "refreshAfterRevocation": refreshed,
    }


COMMANDS = {
    "client_credentials": client_credentials, "private_key_jwt": private_key_jwt, "replayed_assertion": replayed_assertion,
    "authorization_url": authorization_url, "exchange_and_revoke": exchange_and_revoke,
}


def main():
    data = json.load(sys.stdin)
    metadata = requests.get(data["issuer"] + "/.well-known/openid-configuration", timeout=10).json()
    out = COMMANDS[data["command"]](data, metadata)
    out["authlib"] = authlib.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
