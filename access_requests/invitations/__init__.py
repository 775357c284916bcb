"""Guest invitations (seed 000): who may invite whom, the emailed single-use link and its redemption,
bulk invites from a CSV, and the guest lifecycle (inactive guests, guests who left their last group).

``services`` holds every change; ``links`` the signed redemption link; ``mail`` the email;
``selectors`` the reads of the guest pages; ``bulk`` the CSV invite; ``lifecycle`` the membership
reaction and the inactive-guest clean-up."""
