"""Personal access tokens: long-lived, read-only credentials for GIS clients (QGIS, GDAL)."""
