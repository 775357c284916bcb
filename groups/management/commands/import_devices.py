from __future__ import annotations

from portal.devices import devices_import
from portal.management.csv_import import CsvImportCommand


class Command(CsvImportCommand):
    help = (
        "Create or update devices from a CSV file whose columns are the rule language's device properties "
        "(displayName, deviceId, deviceOSType, deviceOSVersion, deviceOwnership, isRooted, ..., devicePhysicalIds "
        "and systemLabels separated by ';'). All rows or none; problems reported by line. Dynamic device groups "
        "are updated in the same transaction."
    )

    importer = staticmethod(devices_import)
