"""The composition layer: the one place that may import every app; nothing imports it.

URL wiring, navigation, the periodic job table and ``run_periodic``, ``seed_demo``, pages that show
several apps, and the JSON API. Arrows point one way: portal.site → access_requests → groups → portal.
"""
