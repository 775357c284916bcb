"""Group-based licensing: a tenant's subscriptions (SKUs with units), licenses carried by groups, and
the assignments members get from them.

A member of a licensed group (directly or through nesting) gets the group's licenses; leaving takes
them away. When a SKU's units run out, the extra members' assignments wait in an error state
(Entra's "CountViolation") and become active, oldest first, as soon as units free up.
"""
