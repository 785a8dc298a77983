"""GIS: vector tiles, the OGC API - Features for QGIS/GDAL, and spatial exports of households."""
