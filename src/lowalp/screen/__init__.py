"""Population screening: find persistently low ALP in a laboratory's history.

One Ibis expression computes each person's ALP status for age and sex, persistence and the
results measured near the index value, on DuckDB (embedded, the default) or Apache Spark; the
short list is then assessed with the same engine as ``lowalp assess``, so a person's screening
result and single-patient assessment agree. Needs the ``screen`` extra (``pip install
'lowalp[screen]'``; Spark also needs ``'lowalp[spark]'``).
"""
