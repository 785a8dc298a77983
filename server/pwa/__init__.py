"""The enumerators' PWA (built from `pwa/` into `pwa/dist`), served at `/`."""
