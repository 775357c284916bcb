"""Group-based licensing: a tenant's subscriptions (SKUs with seats and service plans), licences carried
by groups (with disabled plans) or assigned directly, and the seats users hold.

A DIRECT user member of a licensed group gets the group's licences (members of nested groups don't, as
in Entra); leaving takes them away. A user uses one seat per SKU whatever the number of sources. When
seats run out, the extra seats wait in Entra's "CountViolation" and become active in join order as soon
as seats free up, in the same transaction. ``engine`` keeps the state incrementally, ``checker``
recomputes it from scratch, ``services`` changes it, ``selectors`` reads it.
"""
