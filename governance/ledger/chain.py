"""How one event becomes bytes and a hash; shared by appending and verifying.

The definition lives in standalone_verifier.py, the file that export bundles hand to
auditors and regulators, so the product hashes with exactly the code they run. The event is
canonical JSON with sorted keys; docs/ledger.md describes the form, and
`tests/governance/ledger/test_chain.py` proves it equals canonical_json(event).
"""

from __future__ import annotations

from governance.ledger.standalone_verifier import event_canonical, event_hash

__all__ = ["event_canonical", "event_hash"]
