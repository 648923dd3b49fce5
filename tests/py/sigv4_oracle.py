"""Independent check of SigV4 / SigV4A signatures that lattice-lambda's client put on the wire.

Reads a JSON list of cases on stdin, writes a JSON list of verdicts on stdout. Each case is a
request exactly as the test upstream received it:

    {"mode": "sigv4" | "sigv4a", "method": "GET", "url": "http://127.0.0.1:1234/app?x=1",
     "headers": [["host", "..."], ...], "access_key": "...", "secret_key": "...",
     "token": "..." | null, "region": "us-west-2"}

sigv4:  botocore's SigV4Auth re-signs the request at the request's own x-amz-date (the clock is
        patched) with the expected key and region; the verdict carries the Authorization header
        botocore computed, which the caller compares with the one received.
sigv4a: ECDSA signatures differ per run, so the signature is *verified*: the canonical request
        comes from botocore, the key pair is derived from the credentials as the SigV4A spec
        defines it (NIST SP 800-108 counter-mode HMAC-SHA256 KDF), and the client's signature is
        checked twice, by `cryptography` and by awscrt's own ECDSA (`awscrt.crypto.EC`). The
        derivation is cross-checked against awscrt's signer: a request signed by botocore's
        CrtSigV4AsymAuth must verify under the same public key.

Both: the verdict also carries what the request claims about itself (the credential's key, date
and scope, x-amz-date as epoch seconds, x-amz-region-set, the signed headers), because the
verification above takes the scope and date from the request under test: the caller compares
them with the expected key, the time the request was sent, the region (set) and the service.
"""

import datetime
import hashlib
import hmac
import json
import sys
from unittest import mock

import botocore.auth
import botocore.crt.auth
from awscrt.crypto import EC
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

SERVICE = "vpc-lattice-svcs"
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def amz_datetime(headers):
    value = next(v for k, v in headers if k.lower() == "x-amz-date")
    return datetime.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc
    )


def request_with_headers(method, url, pairs, body):
    # Headers are assigned one by one: botocore's HTTPHeaders appends on assignment, which keeps
    # repeated headers repeated (a dict would collapse them).
    request = AWSRequest(method=method, url=url, data=body or None)
    for name, value in pairs:
        request.headers[name] = value
    return request


def aws_request(case, drop=()):
    headers = [(k, v) for k, v in case["headers"] if k.lower() not in drop]
    request = request_with_headers(case["method"], case["url"], headers, case.get("body"))
    request.context["payload_signing_enabled"] = False
    return request


def credentials(case):
    return Credentials(case["access_key"], case["secret_key"], case.get("token"))


def received_authorization(case):
    return next(v for k, v in case["headers"] if k.lower() == "authorization")


def header(case, name):
    return next((v for k, v in case["headers"] if k.lower() == name), None)


def claims(case):
    """What the request says about its own signature, for the caller to compare."""
    algorithm, fields = parse_authorization(received_authorization(case))
    key, date, scope = fields["Credential"].split("/", 2)
    return {
        "algorithm": algorithm,
        "credential_key": key,
        "credential_date": date,
        "credential_scope": scope,
        "signed_headers": fields["SignedHeaders"],
        "amz_date_epoch": int(amz_datetime(case["headers"]).timestamp()),
        "region_set": header(case, "x-amz-region-set"),
    }


def check_sigv4(case):
    when = amz_datetime(case["headers"])
    request = aws_request(case)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when.replace(tzinfo=None)):
        botocore.auth.SigV4Auth(credentials(case), SERVICE, case["region"]).add_auth(request)
    return {"authorization": request.headers["Authorization"], **claims(case)}


def sigv4a_private_key(access_key, secret_key):
    """SigV4A key derivation: the first counter whose HMAC output is <= n-2 gives d = c + 1."""
    input_key = ("AWS4A" + secret_key).encode()
    label = b"AWS4-ECDSA-P256-SHA256"
    for counter in range(1, 255):
        fixed_input = (
            (1).to_bytes(4, "big")
            + label
            + b"\x00"
            + access_key.encode()
            + bytes([counter])
            + (256).to_bytes(4, "big")
        )
        candidate = int.from_bytes(hmac.new(input_key, fixed_input, hashlib.sha256).digest(), "big")
        if candidate <= P256_N - 2:
            return ec.derive_private_key(candidate + 1, ec.SECP256R1())
    raise ValueError("no SigV4A key candidate below n-2")


def parse_authorization(value):
    algorithm, _, rest = value.partition(" ")
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    return algorithm, fields


def sigv4a_string_to_sign(request, amz_date, scope):
    canonical = botocore.auth.SigV4Auth(None, SERVICE, "unused").canonical_request(request)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return canonical, "\n".join(["AWS4-ECDSA-P256-SHA256", amz_date, scope, digest])


def without_authorization(request):
    headers = [(k, v) for k, v in request.headers.items() if k.lower() != "authorization"]
    copy = request_with_headers(request.method, request.url, headers, request.body)
    copy.context.update(request.context)
    return copy


def crt_public_key(public_key):
    """The same public key as awscrt holds it, so awscrt's ECDSA does the verifying."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return EC.new_key_from_der_data(der)


def crt_verify(request, authorization, public_key):
    """awscrt's verdict on `authorization` over `request`."""
    request = without_authorization(request)
    _, fields = parse_authorization(authorization)
    scope = fields["Credential"].split("/", 1)[1]
    _, string_to_sign = sigv4a_string_to_sign(request, request.headers["X-Amz-Date"], scope)
    digest = hashlib.sha256(string_to_sign.encode()).digest()
    return crt_public_key(public_key).verify(digest, bytes.fromhex(fields["Signature"]))


def verify_sigv4a(request, authorization, public_key):
    """Verifies `authorization` over `request` (whose headers include the x-amz-* ones)."""
    request = without_authorization(request)
    algorithm, fields = parse_authorization(authorization)
    if algorithm != "AWS4-ECDSA-P256-SHA256":
        return False, f"algorithm {algorithm}"
    amz_date = request.headers["X-Amz-Date"]
    scope = fields["Credential"].split("/", 1)[1]
    signer = botocore.auth.SigV4Auth(None, SERVICE, "unused")
    expected_signed = signer.signed_headers(signer.headers_to_sign(request))
    if fields["SignedHeaders"] != expected_signed:
        return False, f"signed headers {fields['SignedHeaders']} != {expected_signed}"
    _, string_to_sign = sigv4a_string_to_sign(request, amz_date, scope)
    try:
        public_key.verify(bytes.fromhex(fields["Signature"]), string_to_sign.encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False, "ECDSA signature does not verify"
    return True, "ok"


def awscrt_cross_check(case, public_key):
    """Our key derivation must match awscrt's: a CRT-signed request has to verify under it."""
    when = amz_datetime(case["headers"])
    request = aws_request(
        case,
        drop=("authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "x-amz-region-set"),
    )
    request.headers["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD"
    region_set = next(v for k, v in case["headers"] if k.lower() == "x-amz-region-set")
    with mock.patch.object(botocore.crt.auth, "get_current_datetime", return_value=when):
        botocore.crt.auth.CrtSigV4AsymAuth(credentials(case), SERVICE, region_set).add_auth(request)
    return verify_sigv4a(request, request.headers["Authorization"], public_key)


def check_sigv4a(case):
    public_key = sigv4a_private_key(case["access_key"], case["secret_key"]).public_key()
    ok, detail = verify_sigv4a(aws_request(case), received_authorization(case), public_key)
    crt_ok = crt_verify(aws_request(case), received_authorization(case), public_key)
    cross_ok, cross_detail = awscrt_cross_check(case, public_key)
    return {
        "verified": ok,
        "detail": detail,
        "crt_verified": crt_ok,
        "crt_cross_check": cross_ok,
        "crt_detail": cross_detail,
        **claims(case),
    }


def main():
    cases = json.load(sys.stdin)
    verdicts = []
    for case in cases:
        if case["mode"] == "sigv4":
            verdicts.append(check_sigv4(case))
        elif case["mode"] == "sigv4a":
            verdicts.append(check_sigv4a(case))
        else:
            raise ValueError(f"unknown mode {case['mode']}")
    json.dump(verdicts, sys.stdout)


if __name__ == "__main__":
    main()
