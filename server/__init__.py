"""The collector: ingest presses exactly once, keep them, count them, show and publish the figures.

One subpackage per capability, each concept with one home: `ingest` (MQTT intake), `storage` (schema,
migrations, the batch writer), `reference` (what staff maintain: fields, officials, counters, duty,
dossier counts, corrections, remarks, audit), `reporting` (periods, counting, metrics, report formats,
publication), `accounts` (staff sign-in and API tokens), `broker` (the broker's accounts and ACL,
kiosk provisioning), `web` (views and templates only) and `cli` (every command). `config` and `errors`
are shared by all of them; `demo` runs the whole system on one machine.
"""
