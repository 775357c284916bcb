"""Pages that show several apps (they read groups next to the core's directory objects).

roles.py    /roles/ (role assignments may go to groups; "what can this person do to this group?")
devices.py  /devices/ (a device's group memberships)
"""
