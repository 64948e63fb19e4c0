"""The organisation's signing key and certificate, loaded from the settings.

`REPORT_SIGNING_KEY` and `REPORT_SIGNING_CERT` hold PEM text or the path of a PEM file, with an
optional `REPORT_SIGNING_PASSPHRASE`. Outside production a self-signed development pair under
`REPORT_DEV_SIGNING_DIR` is used when nothing is configured (`manage.py
ensure_signing_certificate` creates it); production refuses both that fallback and any
development certificate. PDF and manifest signing (audits.reports.signing) and ledger
checkpoints both start from the key loaded here, so there is one reading of the settings.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.conf import settings

# Marks the self-signed pair that `ensure_signing_certificate` makes; production refuses it.
DEVELOPMENT_MARK = "Development only - not for production"
DEV_KEY_NAME = "report-signing-key.pem"
DEV_CERT_NAME = "report-signing-cert.pem"

# Names of the two signature schemes, as recorded next to a raw signature. Both are what
# `openssl dgst -sha256 -verify PUBLIC_KEY -signature SIG FILE` checks for that key type.
RSA_SHA256 = "rsa-pkcs1v15-sha256"
ECDSA_SHA256 = "ecdsa-sha256"


class SigningNotConfigured(Exception):
    """No usable signing key: the message says what to set."""


@dataclass(frozen=True)
class OrganisationKey:
    private_key: Any
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    certificate_pem: bytes
    is_development: bool

    @property
    def certificate_sha256(self) -> str:
        return certificate_sha256(self.certificate)

    @property
    def signer_certificate_pem(self) -> str:
        """The signer's certificate alone (certificate_pem may carry its chain too)."""
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def algorithm(self) -> str:
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            return RSA_SHA256
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            return ECDSA_SHA256
        raise SigningNotConfigured("The signing key must be an RSA or elliptic-curve key.")

    def sign(self, data: bytes) -> str:
        """A raw signature over `data` (SHA-256), base64-encoded; see `algorithm`."""
        if self.algorithm == RSA_SHA256:
            raw = self.private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        else:
            raw = self.private_key.sign(data, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(raw).decode("ascii")


def certificate_sha256(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def signature_valid(*, certificate_pem: str, algorithm: str, data: bytes, signature: str) -> bool:
    """Does `signature` (base64) over `data` verify with the certificate's public key?"""
    try:
        public_key = x509.load_pem_x509_certificate(certificate_pem.encode()).public_key()
        raw = base64.b64decode(signature, validate=True)
        if algorithm == RSA_SHA256 and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(raw, data, padding.PKCS1v15(), hashes.SHA256())
            return True
        if algorithm == ECDSA_SHA256 and isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(raw, data, ec.ECDSA(hashes.SHA256()))
            return True
    except (InvalidSignature, ValueError, TypeError):
        return False
    return False


def _pem(value: str, what: str) -> bytes:
    if value.lstrip().startswith("-----BEGIN"):
        return value.encode()
    path = Path(value).expanduser()
    if not path.is_file():
        raise SigningNotConfigured(f"{what} points to {value!r}, which is not a readable file.")
    return path.read_bytes()


def configured_pem() -> tuple[bytes, bytes, bool]:
    """(key PEM, certificate PEM, came from the development folder) as the settings say."""
    key, cert = settings.REPORT_SIGNING_KEY, settings.REPORT_SIGNING_CERT
    if key or cert:
        if not (key and cert):
            raise SigningNotConfigured(
                "Set both REPORT_SIGNING_KEY and REPORT_SIGNING_CERT (PEM text or file paths)."
            )
        return _pem(key, "REPORT_SIGNING_KEY"), _pem(cert, "REPORT_SIGNING_CERT"), False
    if settings.PRODUCTION:
        raise SigningNotConfigured(
            "Nothing can be signed: set REPORT_SIGNING_KEY and REPORT_SIGNING_CERT. "
            "Production never uses the development certificate."
        )
    folder = Path(settings.REPORT_DEV_SIGNING_DIR)
    key_path, cert_path = folder / DEV_KEY_NAME, folder / DEV_CERT_NAME
    if not (key_path.is_file() and cert_path.is_file()):
        raise SigningNotConfigured(
            "No signing certificate: run `manage.py ensure_signing_certificate` or set "
            "REPORT_SIGNING_KEY and REPORT_SIGNING_CERT."
        )
    return key_path.read_bytes(), cert_path.read_bytes(), True


def _load(key_pem: bytes, cert_pem: bytes, passphrase: str, dev: bool) -> OrganisationKey:
    try:
        # The first certificate is the signer's; any that follow are its chain.
        certificate, *chain = x509.load_pem_x509_certificates(cert_pem)
        private_key = serialization.load_pem_private_key(key_pem, passphrase.encode() or None)
    except (ValueError, TypeError) as exc:
        raise SigningNotConfigured(f"The signing key or certificate cannot be read: {exc}") from exc
    subject = certificate.subject.rfc4514_string()
    return OrganisationKey(
        private_key=private_key,
        certificate=certificate,
        chain=tuple(chain),
        certificate_pem=cert_pem,
        is_development=dev or DEVELOPMENT_MARK in subject,
    )


_cache: dict[tuple[bytes, bytes, str], OrganisationKey] = {}


def organisation_key() -> OrganisationKey:
    """The configured key and certificate, parsed once per process and configuration."""
    key_pem, cert_pem, from_dev_folder = configured_pem()
    passphrase = settings.REPORT_SIGNING_PASSPHRASE
    cache_key = (key_pem, cert_pem, passphrase)
    key = _cache.get(cache_key)
    if key is None:
        key = _load(key_pem, cert_pem, passphrase, from_dev_folder)
        _cache.clear()
        _cache[cache_key] = key
    if key.is_development and settings.PRODUCTION:
        raise SigningNotConfigured(
            "The configured certificate is a development certificate; production refuses it."
        )
    return key
