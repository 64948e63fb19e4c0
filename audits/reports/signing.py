"""The organisation's signature: PAdES on every PDF, detached CMS on every export manifest.

The key and certificate are the organisation's (governance.core.signing_key reads them from
`REPORT_SIGNING_KEY`, `REPORT_SIGNING_CERT` and `REPORT_SIGNING_PASSPHRASE`, with the
development pair under var/signing/ outside production); this module hands them to pyHanko.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any, TypeVar

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata import model
from pyhanko.pdf_utils.metadata.xmp_xml import MetadataStream
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

# Re-exported: the rest of the reports room names them through this module.
from governance.core.signing_key import DEV_CERT_NAME as DEV_CERT_NAME
from governance.core.signing_key import DEV_KEY_NAME as DEV_KEY_NAME
from governance.core.signing_key import DEVELOPMENT_MARK as DEVELOPMENT_MARK
from governance.core.signing_key import OrganisationKey, organisation_key
from governance.core.signing_key import SigningNotConfigured as SigningNotConfigured

T = TypeVar("T")
SIGNATURE_FIELD = "OrganisationSignature"


@dataclass(frozen=True)
class SigningMaterial:
    signer: signers.SimpleSigner
    certificate: asn1_x509.Certificate
    certificate_pem: bytes
    is_development: bool

    @property
    def certificate_sha256(self) -> str:
        return hashlib.sha256(self.certificate.dump()).hexdigest()

    @property
    def subject(self) -> str:
        return str(self.certificate.subject.human_friendly)


class _OrganisationSigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner parses the private key again for every signature (twice per
    PDF, ~0.2 s each for RSA-3072); this one keeps the parsed key."""

    def __init__(self, *, key_object: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._key_object = key_object

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._key_object, RSAPrivateKey):
            return bytes(self._key_object.sign(data, PKCS1v15(), hash_algo))
        if mechanism == "ecdsa" and isinstance(self._key_object, EllipticCurvePrivateKey):
            return bytes(self._key_object.sign(data, ECDSA(hash_algo)))
        return bytes(super().sign_raw(data, digest_algorithm))


def _asn1(certificate: Any) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _material(key: OrganisationKey) -> SigningMaterial:
    private_der = key.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    certificate = _asn1(key.certificate)
    return SigningMaterial(
        signer=_OrganisationSigner(
            key_object=key.private_key,
            signing_cert=certificate,
            signing_key=asn1_keys.PrivateKeyInfo.load(private_der),
            cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in key.chain]),
        ),
        certificate=certificate,
        certificate_pem=key.certificate_pem,
        is_development=key.is_development,
    )


_cache: dict[int, tuple[OrganisationKey, SigningMaterial]] = {}


def signing_material() -> SigningMaterial:
    """The configured key and certificate as pyHanko signs with them, built once per key."""
    key = organisation_key()
    cached = _cache.get(id(key))
    if cached is None or cached[0] is not key:
        cached = (key, _material(key))
        _cache.clear()
        _cache[id(key)] = cached
    return cached[1]


def _outside_event_loop(fn: Callable[[], T]) -> T:
    """pyHanko drives its own asyncio loop, which cannot start inside a running one (an
    async server's thread, a test driving a browser); then it runs in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result()


def sign_pdf(pdf: bytes, *, reason: str, material: SigningMaterial | None = None) -> bytes:
    """Append a PAdES signature as an incremental update: the unsigned bytes stay a prefix."""
    return _outside_event_loop(lambda: _sign_pdf(pdf, reason, material or signing_material()))


class _AgreeingWriter(IncrementalPdfFileWriter):
    """pyHanko appends itself to the Info dictionary's Producer ("WeasyPrint 70.0; pyHanko
    0.38.0") but writes only itself into the XMP metadata, so the two disagree, which PDF/A
    forbids. This writer sets the XMP producer to the Info one in the same update, so the
    signature covers metadata that agrees."""

    def _update_meta(self) -> None:
        super()._update_meta()
        info = self._info.get_object() if self._info is not None else None
        # Indexing dereferences (`.get` would return the indirect reference).
        stream = self.root.get_and_apply("/Metadata", lambda found: found, default=None)
        if info is None or "/Producer" not in info or not isinstance(stream, MetadataStream):
            return
        producer = model.XmpValue(str(info["/Producer"]))
        stream._xmp = [
            model.XmpStructure(
                {**dict(part), model.PDF_PRODUCER: producer}
                if any(key == model.PDF_PRODUCER for key, _ in part)
                else dict(part)
            )
            for part in stream.xmp
        ]
        stream._reserialise()
        stream._encoded_data = None
        self.update_container(stream)


def _sign_pdf(pdf: bytes, reason: str, material: SigningMaterial) -> bytes:
    writer = _AgreeingWriter(io.BytesIO(pdf))
    metadata = PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=settings.REPORT_ORGANISATION,
        name=settings.REPORT_ORGANISATION,
    )
    output = signers.sign_pdf(writer, metadata, signer=material.signer)
    return bytes(output.getvalue())


def sign_detached(data: bytes, *, material: SigningMaterial | None = None) -> bytes:
    """A detached CMS (PKCS #7) signature in DER, checkable with `openssl cms -verify`."""
    signer = (material or signing_material()).signer
    content_info = _outside_event_loop(
        lambda: asyncio.run(signer.async_sign_general_data(data, "sha256", detached=True))
    )
    return bytes(content_info.dump())


def signed_with(*, subject: str, sha256: str, development: bool) -> str:
    """Which certificate signed a document, as one sentence every verification place uses
    (the /verify/ page, `verify_report`, the export README, the PDF's own verification
    block), so a development copy is never described as carrying the organisation's word."""
    if development:
        return (
            f"Made with the development certificate {subject} (SHA-256 {sha256}), which "
            "carries no organisational assurance."
        )
    return f"Made with the organisation's certificate {subject} (SHA-256 {sha256})."


def is_development_certificate(subject: str, sha256: str) -> bool:
    """Marked as a development certificate, or it is the development pair in use here."""
    if DEVELOPMENT_MARK in subject:
        return True
    try:
        material = signing_material()
    except SigningNotConfigured:
        return False
    return material.is_development and material.certificate_sha256 == sha256


@dataclass(frozen=True)
class SignatureCheck:
    # "intact": untouched and signed by the trusted certificate; "untrusted": intact but by
    # another key; "broken": the signed bytes were changed; "unsigned"; "unreadable".
    status: str
    summary: str
    signer: str = ""
    signed_at: dt.datetime | None = None
    covers_whole_file: bool = False
    certificate_sha256: str = ""
    development: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "intact"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "summary": self.summary,
            "signer": self.signer,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "covers_whole_file": self.covers_whole_file,
            "certificate_sha256": self.certificate_sha256,
            "development": self.development,
        }


def trust_roots() -> list[asn1_x509.Certificate]:
    try:
        return [signing_material().certificate]
    except SigningNotConfigured:
        return []


def check_pdf_signature(
    pdf: bytes | IO[bytes], *, roots: list[asn1_x509.Certificate] | None = None
) -> SignatureCheck:
    """Validate the PDF's signature with pyHanko against the organisation's certificate.

    Given an open file, pyHanko seeks and reads the parts it needs; the signed byte ranges
    are hashed in pieces, so a large file is never held in memory whole.
    """
    try:
        stream = io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf
        stream.seek(0)
        reader = PdfFileReader(stream, strict=False)
        embedded = reader.embedded_signatures
    except Exception as exc:
        return SignatureCheck("unreadable", f"Not a readable PDF ({type(exc).__name__}).")
    if not embedded:
        return SignatureCheck("unsigned", "The PDF carries no signature.")
    context = ValidationContext(
        trust_roots=roots if roots is not None else trust_roots(), allow_fetching=False
    )
    try:
        status = _outside_event_loop(lambda: validate_pdf_signature(embedded[-1], context))
    except Exception as exc:
        return SignatureCheck("unreadable", f"The signature cannot be read ({type(exc).__name__}).")
    whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    signer = str(status.signing_cert.subject.human_friendly) if status.signing_cert else ""
    fingerprint = hashlib.sha256(status.signing_cert.dump()).hexdigest() if signer else ""
    signed_at = status.signer_reported_dt
    if not status.intact or not status.valid:
        return SignatureCheck(
            "broken",
            "The signed bytes were changed after signing.",
            signer,
            signed_at,
            whole,
            fingerprint,
        )
    if not status.trusted:
        return SignatureCheck(
            "untrusted",
            "The signature is intact but not made with the organisation's certificate.",
            signer,
            signed_at,
            whole,
            fingerprint,
        )
    development = is_development_certificate(signer, fingerprint)
    summary = "Intact, covering the whole file. " if whole else "Data was appended after signing. "
    summary += signed_with(subject=signer, sha256=fingerprint, development=development)
    return SignatureCheck(
        "intact" if whole else "broken", summary, signer, signed_at, whole, fingerprint, development
    )
