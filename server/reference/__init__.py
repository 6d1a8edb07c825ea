"""Reference data staff maintain, and the record of every change to it.

Fields, officials and counters (`catalogue`), duty over time (`duty`), resolved dossiers per field
and month (`dossiers`, read from CSV/XLSX by `sheets`), corrections that exclude presses without
deleting them (`corrections`, `dossier_rule`), remarks for table D (`remarks`) and the audit log
(`audit`) that every change above writes in its own transaction.
"""
