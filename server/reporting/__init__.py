"""Reporting: periods, the counting queries, metrics, fairness, rollups, the report model and formats.

`periods` knows the calendar and cut-off conventions and the 28th; `queries` is the SQL that counts
presses; `metrics` and `fairness` turn counts into rates, coverage and fair rankings; `rollup` keeps
half-month aggregates; `data` assembles one report; `figures` adds what the pages show beyond it;
`formats` writes XLSX, PDF and CSV; `publish` writes what is due on a publication day.
"""
