"""A carrier process for laptops, demos and tests: one HTTP server that answers like several
ocean carriers at once, each under its SCAC, speaking the DCSA standards the network uses —
Booking 2.0.5, Commercial Schedules 1.0.3 and Track & Trace 2.2.0 — with OAuth 2.0 client
credentials, signed pushes, and a control API (``/_sim/…``) for tests.

Standard library and httpx only: it must not import Django or the network's apps (an
import-linter contract in pyproject.toml holds it to that)."""
