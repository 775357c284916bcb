"""The product's URLconf plus the bench's baselines (portal.site.bench.baseline); see its docstring."""

from __future__ import annotations

from django.urls import include, path

from portal.site import urls as product
from portal.site.bench import baseline

handler403, handler404, handler500 = product.handler403, product.handler404, product.handler500

urlpatterns = [
    path("bench/signed-in", baseline.signed_in),
    path("bench/page", baseline.empty_page),
    path("v1.0/bench/signed-in", baseline.api_signed_in),
    path("", include(product)),
]
