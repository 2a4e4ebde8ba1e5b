"""Printed and offline maps: snapshots, map figures, meeting packs, interactive HTML, the export records."""
