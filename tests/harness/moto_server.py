#!/usr/bin/env python3
"""Launch a moto server (AWS mock) as the AWS IoT control-plane stand-in for tests.

    python moto_server.py --port PORT --ca-cert CA.pem --ca-key CA.key [--host 127.0.0.1] [--iam-auth N]

Prints "moto ready on http://HOST:PORT" once the socket is listening, then serves
in the foreground until SIGTERM/SIGINT. Reset state with POST /moto-api/reset.

Differences from stock moto 5.2.5:
  * IoT "use_valid_cert" is on, so certificateId = sha256(DER of the cert) as AWS does
    (stock moto hashes the PEM text instead).
  * CreateCertificateFromCsr returns a cert signed by the given test CA over the CSR's
    own public key (stock moto ignores the CSR key and self-signs a fresh RSA key).
"""
import argparse
import datetime as dt
import os
import signal
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--ca-cert", required=True, help="PEM file of the test CA certificate")
    p.add_argument("--ca-key", required=True, help="PEM file (unencrypted) of the test CA private key")
    p.add_argument("--iam-auth", type=int, metavar="N", default=None,
                   help="enable moto IAM auth after N unauthenticated requests (INITIAL_NO_AUTH_ACTION_COUNT)")
    return p.parse_args(argv)


def install_iot_patches(ca_cert_pem: bytes, ca_key_pem: bytes) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ed448, ed25519
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from moto.core.config import default_user_config
    from moto.iot.exceptions import InvalidRequestException
    from moto.iot.models import IoTBackend

    # moto reads this dict on every FakeCertificate(): certificateId becomes
    # sha256(cert DER) (FakeCertificate.compute_der_cert_id). There is no env var
    # for it and /moto-api/config cannot set it; /moto-api/reset leaves it alone.
    default_user_config.setdefault("iot", {})["use_valid_cert"] = True

    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
    ca_key = serialization.load_pem_private_key(ca_key_pem, password=None)
    # The AKI must equal the CA's own SKI (however the CA computed it), or OpenSSL cannot
    # build the chain.
    try:
        ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        authority_key_id = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski)
    except x509.ExtensionNotFound:
        authority_key_id = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key())
    sig_hash = None if isinstance(ca_key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)) else hashes.SHA256()

    def create_certificate_from_csr(self, csr: str, set_as_active: bool):
        # moto's response layer passes the raw query string value ("true"/"false"),
        # so "false" would be truthy; normalise it here.
        if isinstance(set_as_active, str):
            set_as_active = set_as_active.lower() == "true"
        try:
            req = x509.load_pem_x509_csr(csr.encode("utf-8"))
        except ValueError:
            raise InvalidRequestException("The certificate signing request is not valid")
        if not req.is_signature_valid:
            raise InvalidRequestException("The certificate signing request signature is not valid")
        now = dt.datetime.now(dt.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(req.subject)
            .issuer_name(ca_cert.subject)
            .public_key(req.public_key())  # the CSR's key, unlike stock moto
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(req.public_key()), critical=False)
            .add_extension(authority_key_id, critical=False)
            .sign(ca_key, sig_hash)
        )
        pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
        # Same storage path as the original method: FakeCertificate(id, ARN, status) + duplicate check.
        fake = self.register_certificate(pem, ca_certificate_pem=None, set_as_active=set_as_active, status="INACTIVE")
        # Report the real validity in DescribeCertificate (moto defaults to now +/- 1 day).
        fake.validity_not_before = cert.not_valid_before_utc.replace(tzinfo=None)
        fake.validity_not_after = cert.not_valid_after_utc.replace(tzinfo=None)
        return fake

    # Patch the class, not an instance: /moto-api/reset builds new backend instances.
    IoTBackend.create_certificate_from_csr = create_certificate_from_csr


def main(argv=None) -> int:
    args = parse_args(argv)
    with open(args.ca_cert, "rb") as f:
        ca_cert_pem = f.read()
    with open(args.ca_key, "rb") as f:
        ca_key_pem = f.read()
    if args.iam_auth is not None:
        # moto.settings reads this once at import time.
        os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(args.iam_auth)

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    install_iot_patches(ca_cert_pem, ca_key_pem)

    # Same construction as moto's ThreadedMotoServer, but served from the main thread
    # so signals interrupt serve_forever() directly.
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)

    def on_signal(signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    host, port = server.server_address[:2]  # listening since make_server()
    print(f"moto ready on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except SystemExit:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
