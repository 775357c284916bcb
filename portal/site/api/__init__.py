"""The Microsoft-Graph-shaped JSON API, mounted at /v1.0/ and /beta/.

Plain Django views answering JSON. Callers authenticate with ``Authorization: Bearer <token>`` only
(never a session cookie, so the views are CSRF-exempt); every read and write asks portal.authz and every
write goes through the same services as the web pages.
"""
