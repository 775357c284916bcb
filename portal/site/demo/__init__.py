"""Demo data for ``manage.py seed_demo``: the Contoso tenant (``tenant``), its fixed data (``data``) and a
generated population for benchmarks (``bulk``)."""
