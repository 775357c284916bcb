from __future__ import annotations

from portal.management.csv_import import CsvImportCommand
from portal.services import users_import


class Command(CsvImportCommand):
    help = (
        "Create or update users from a CSV file whose columns are named like Graph's properties "
        "(userPrincipalName, displayName, department, ..., otherMails and proxyAddresses separated by ';', "
        "manager as a UPN). All rows or none: a bad row is reported with its line number."
    )

    importer = staticmethod(users_import)
