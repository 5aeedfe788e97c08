#!/usr/bin/env python3
"""Self-check for moto_server.py. Run with plain `python test_moto_server.py` (pytest also works).

Starts the launcher on a free port with a fresh test CA, drives it with boto3, then
terminates it. Exits non-zero on any failure.
"""
import datetime as dt
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_ca(directory: str):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "helium-aws-bridge test CA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(directory, "ca.pem"), os.path.join(directory, "ca.key")
    Path(cert_path).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    Path(key_path).write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert, cert_path, key_path


def spki(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
    print(f"ok: {msg}", flush=True)


def run_checks(endpoint: str, ca_cert: x509.Certificate) -> None:
    iot = boto3.client("iot", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")

    iot.create_thing(thingName="hotspot-1")
    check(iot.describe_thing(thingName="hotspot-1")["thingName"] == "hotspot-1", "CreateThing")

    ep = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    check("-ats.iot.us-east-1" in ep, f"DescribeEndpoint iot:Data-ATS -> {ep}")

    dev_key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hotspot-1")])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(dev_key, hashes.SHA256())
    resp = iot.create_certificate_from_csr(
        certificateSigningRequest=csr.public_bytes(serialization.Encoding.PEM).decode(), setAsActive=True)
    cert = x509.load_pem_x509_certificate(resp["certificatePem"].encode())
    check(spki(cert.public_key()) == spki(dev_key.public_key()), "cert public key == CSR public key")
    cert.verify_directly_issued_by(ca_cert)
    check(True, "cert verifies against test CA")
    check(cert.subject == subject, "cert subject copied from CSR")
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    check(ExtendedKeyUsageOID.CLIENT_AUTH in eku, "EKU clientAuth")
    want_id = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    check(resp["certificateId"] == want_id, "certificateId == sha256(cert DER)")
    check(resp["certificateArn"] == f"arn:aws:iot:us-east-1:123456789012:cert/{want_id}", "certificate ARN format")

    desc = iot.describe_certificate(certificateId=resp["certificateId"])["certificateDescription"]
    check(desc["status"] == "ACTIVE" and desc["certificatePem"] == resp["certificatePem"], "DescribeCertificate")
    ids = [c["certificateId"] for c in iot.list_certificates()["certificates"]]
    check(resp["certificateId"] in ids, "ListCertificates")

    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"}]}
    iot.create_policy(policyName="hotspot-policy", policyDocument=json.dumps(doc))
    iot.attach_policy(policyName="hotspot-policy", target=resp["certificateArn"])
    iot.attach_thing_principal(thingName="hotspot-1", principal=resp["certificateArn"])
    check(resp["certificateArn"] in iot.list_thing_principals(thingName="hotspot-1")["principals"],
          "CreatePolicy + AttachPolicy + AttachThingPrincipal")

    req = urllib.request.Request(endpoint + "/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=10) as r:
        check(r.status == 200, "POST /moto-api/reset")
    check(iot.list_things()["things"] == [], "ListThings empty after reset")

    # The patch must survive the reset (it is on the class, not the instance).
    resp2 = iot.create_certificate_from_csr(
        certificateSigningRequest=csr.public_bytes(serialization.Encoding.PEM).decode(), setAsActive=False)
    cert2 = x509.load_pem_x509_certificate(resp2["certificatePem"].encode())
    cert2.verify_directly_issued_by(ca_cert)
    desc2 = iot.describe_certificate(certificateId=resp2["certificateId"])["certificateDescription"]
    check(desc2["status"] == "INACTIVE", "CreateCertificateFromCsr still CA-signed after reset; setAsActive=False -> INACTIVE")
    iot.update_certificate(certificateId=resp2["certificateId"], newStatus="ACTIVE")
    iot.update_certificate(certificateId=resp2["certificateId"], newStatus="INACTIVE")
    iot.delete_certificate(certificateId=resp2["certificateId"])
    check(iot.list_certificates()["certificates"] == [], "UpdateCertificate + DeleteCertificate")

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(rsa_key, hashes.SHA256())
    resp3 = iot.create_certificate_from_csr(
        certificateSigningRequest=rsa_csr.public_bytes(serialization.Encoding.PEM).decode(), setAsActive=True)
    cert3 = x509.load_pem_x509_certificate(resp3["certificatePem"].encode())
    cert3.verify_directly_issued_by(ca_cert)
    check(spki(cert3.public_key()) == spki(rsa_key.public_key()), "RSA CSR: CA-signed over the CSR's key")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        ca_cert, ca_pem, ca_key = make_ca(tmp)
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "moto_server.py"), "--port", str(port),
             "--ca-cert", ca_pem, "--ca-key", ca_key],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = proc.stdout.readline().strip()  # blocks until ready (or EOF if it died)
            check(line == f"moto ready on http://127.0.0.1:{port}", f"launcher says: {line!r}")
            run_checks(f"http://127.0.0.1:{port}", ca_cert)
        finally:
            proc.terminate()  # SIGTERM by PID
            try:
                rc = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = None
        check(rc == 0, f"server exited cleanly on SIGTERM (rc={rc})")
    print("self-check passed", flush=True)
    return 0


def test_moto_server():  # pytest entry point
    assert main() == 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # noqa: BLE001
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
