"""How one event becomes bytes and a hash; shared by appending and verifying.

The event is canonical JSON with sorted keys. `data` is already stored as canonical JSON,
so it is spliced in as-is; building the string directly (instead of parsing `data` and
dumping the whole event) is what lets verification run at hundreds of thousands of events a
second. `tests/governance/ledger/test_chain.py` proves this equals canonical_json(event).
"""

from __future__ import annotations

import hashlib
from json.encoder import encode_basestring

_TEMPLATE = (
    '{"action":%s,"actor_id":%s,"actor_name":%s,"data":%s,"deployment_id":%s,'
    '"seq":%d,"subject_id":%s,"subject_type":%s,"ts":%s}'
)


def event_canonical(
    *,
    seq: int,
    ts: str,
    actor_id: str,
    actor_name: str,
    action: str,
    subject_type: str,
    subject_id: str,
    deployment_id: str,
    data: str,
) -> str:
    enc = encode_basestring
    return _TEMPLATE % (
        enc(action),
        enc(actor_id),
        enc(actor_name),
        data,
        enc(deployment_id),
        seq,
        enc(subject_id),
        enc(subject_type),
        enc(ts),
    )


def event_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()
