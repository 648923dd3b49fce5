"""botocore's SigV4 signing cost on the request lib/benches/sign.rs signs, for the ratio.

Prints nanoseconds per operation for building the request alone (baseline) and for building
plus `SigV4Auth.add_auth`; the difference is botocore's signing cost.

Run: $LATTICE_PYTHON tests/py/bench_botocore_sign.py
"""

import timeit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

URI = "https://eks-app-default-0a1b2c3d4e5f.7d67968.vpc-lattice-svcs.us-west-2.on.aws/app/orders?status=open&page=2"
HOST = "eks-app-default-0a1b2c3d4e5f.7d67968.vpc-lattice-svcs.us-west-2.on.aws"
CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjEXAMPLETOKEN")
SIGNER = SigV4Auth(CREDENTIALS, "vpc-lattice-svcs", "us-west-2")


def build():
    request = AWSRequest(
        method="GET",
        url=URI,
        headers={
            "host": HOST,
            "accept": "*/*",
            "content-type": "application/json",
            "x-amzn-trace-id": "Root=1-67891233-abcdef012345678912345678",
        },
    )
    request.context["payload_signing_enabled"] = False
    return request


def build_and_sign():
    request = build()
    SIGNER.add_auth(request)
    return request


def per_op_ns(fn, seconds=2.0):
    timer = timeit.Timer(fn)
    count, _ = timer.autorange()
    best = min(timer.repeat(repeat=5, number=max(count, int(count * seconds / 0.2))))
    return best / max(count, int(count * seconds / 0.2)) * 1e9


if __name__ == "__main__":
    base = per_op_ns(build)
    signed = per_op_ns(build_and_sign)
    print(f"botocore build_only_ns={base:.0f} build_and_sigv4_ns={signed:.0f} sigv4_cost_ns={signed - base:.0f}")
