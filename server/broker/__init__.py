"""Broker administration: mosquitto accounts and ACL, kiosk provisioning, a private broker for tests.

`accounts` writes the production broker's password file, ACL and configuration; `provision` registers
and revokes kiosks (account, ACL entry, signing key, bundle); `private` runs a throwaway mosquitto on
loopback for the demo, the tests and the benchmarks. A commune bridged to the province: `bridge`
(the files that travel, the stanza, the ACL blocks), `communes` (export, add, config), `upward`
(when to re-forward, pure) and `forward` (the re-forwarder and `bridge status`).
"""
