"""A software authenticator built from Debian's python3-fido2 (Yubico's library) and python3-cryptography.

Why: an implementation of WebAuthn's byte formats that shares nothing with Gatehouse (@simplewebauthn/server) nor with
the test's own hand-built authenticator (test/helpers/webauthn.ts). The authenticator data, attested credential data,
attestation object, client data and COSE key are fido2's own classes; the P-256 key and the signature are
cryptography's. It answers what a browser would pass on — and, on request, what no browser produces: another RP ID's
hash, no user-verified flag, a counter that went backwards.

One JSON object on stdin, one on stdout (test/helpers/fido2-python.ts drives it):
  {"command": "register", "rpId", "origin", "options": <creation options JSON>, "tamper"?}
    -> {"credential": <RegistrationResponseJSON>, "key": {"privateKey", "credentialId", "userHandle", "signCount"}}
  {"command": "assert", "rpId", "origin", "options": <request options JSON>, "key", "tamper"?}
    -> {"credential": <AuthenticationResponseJSON>, "key": <the key with its new signCount>}
tamper: {"rpId": str} hashes another RP ID, {"flags": int} replaces UP|UV, {"signCount": int} reports that counter.
"""
import json
import sys

import fido2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.client import ClientData
from fido2.cose import ES256
from fido2.ctap2 import AttestationObject, AttestedCredentialData, AuthenticatorData
from fido2.utils import sha256, websafe_encode

FLAG = AuthenticatorData.FLAG
USER_PRESENT_AND_VERIFIED = FLAG.USER_PRESENT | FLAG.USER_VERIFIED


def client_data(kind, request, tamper):
    """The CollectedClientData a browser would make for this ceremony (WebAuthn §5.8.1)."""
    return ClientData.build(type=kind, challenge=request["options"]["challenge"], origin=tamper.get("origin", request["origin"]), crossOrigin=False)


def authenticator_data(request, tamper, extra_flags, counter, credential_data=b""):
    """rpIdHash, flags and counter (WebAuthn §6.1), optionally followed by the attested credential data."""
    rp_id = tamper.get("rpId", request["rpId"])
    flags = tamper.get("flags", USER_PRESENT_AND_VERIFIED) | extra_flags
    return AuthenticatorData.create(sha256(rp_id.encode("utf-8")), flags, counter, credential_data)


def register(request):
    tamper = request.get("tamper", {})
    private_key = ec.generate_private_key(ec.SECP256R1())
    credential_id = sha256(private_key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
    cose_key = ES256.from_cryptography_key(private_key.public_key())
    attested = AttestedCredentialData.create(b"\0" * 16, credential_id, cose_key)
    auth_data = authenticator_data(request, tamper, FLAG.ATTESTED, 0, attested)
    # fido2 builds the CTAP2 form (integer keys); WebAuthn's attestationObject has the string keys (§6.5.4).
    attestation = AttestationObject.create("none", auth_data, {}).with_string_keys()
    data = client_data("webauthn.create", request, tamper)
    # Read back with fido2's own parser: what goes out is what fido2 understands.
    assert AttestationObject(attestation).auth_data.credential_data.public_key == cose_key
    user_handle = request["options"]["user"]["id"]
    return {
        "credential": {
            "id": websafe_encode(credential_id), "rawId": websafe_encode(credential_id), "type": "public-key",
            "clientExtensionResults": {}, "authenticatorAttachment": "cross-platform",
            "response": {"clientDataJSON": data.b64, "attestationObject": websafe_encode(attestation), "transports": ["usb"]},
        },
        "key": {
            "privateKey": private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode("ascii"),
            "credentialId": websafe_encode(credential_id), "userHandle": user_handle, "signCount": 0,
        },
    }


def assertion(request):
    tamper = request.get("tamper", {})
    key = dict(request["key"])
    private_key = serialization.load_pem_private_key(key["privateKey"].encode("ascii"), password=None)
    key["signCount"] = tamper.get("signCount", key["signCount"] + 1)
    auth_data = authenticator_data(request, tamper, 0, key["signCount"])
    data = client_data("webauthn.get", request, tamper)
    # The signature over authenticatorData ‖ SHA-256(clientDataJSON) (WebAuthn §6.3.3).
    signature = private_key.sign(auth_data + data.hash, ec.ECDSA(hashes.SHA256()))
    # fido2 checks it with the COSE form of the public key, as a relying party would.
    ES256.from_cryptography_key(private_key.public_key()).verify(auth_data + data.hash, signature)
    return {
        "credential": {
            "id": key["credentialId"], "rawId": key["credentialId"], "type": "public-key",
            "clientExtensionResults": {}, "authenticatorAttachment": "cross-platform",
            "response": {
                "clientDataJSON": data.b64, "authenticatorData": websafe_encode(auth_data),
                "signature": websafe_encode(signature), "userHandle": key["userHandle"],
            },
        },
        "key": key,
    }


def main():
    request = json.load(sys.stdin)
    answer = {"register": register, "assert": assertion}[request["command"]](request)
    answer["fido2"] = fido2.__version__
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
