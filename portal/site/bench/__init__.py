"""Performance measurements for ``manage.py bench``: pages, transitive membership, throughput."""
