"""Settings for the gate benchmark: the product's settings plus one bare endpoint to compare."""

from governance.settings import *  # noqa: F403

ROOT_URLCONF = "bench.gate_urls"
