// GPS capture (watchPosition keeping the best fix) and photo preparation (≤1600 px JPEG with the
// camera's EXIF kept, SHA-256).

export const MAX_PX = 1600;
export const POOR_ACCURACY_M = 50;

export function watchBestFix(onUpdate) {
  let best = null;
  if (!('geolocation' in navigator)) { onUpdate({ best, error: 'unsupported' }); return () => {}; }
  const id = navigator.geolocation.watchPosition((position) => {
    const fix = {
      lon: position.coords.longitude, lat: position.coords.latitude,
      accuracy_m: Math.round(position.coords.accuracy * 10) / 10,
      fixed_at: new Date(position.timestamp || Date.now()).toISOString(),
    };
    if (!best || fix.accuracy_m <= best.accuracy_m) best = fix;
    onUpdate({ best, latest: fix });
  }, (error) => onUpdate({ best, error: error.code === 1 ? 'denied' : 'unavailable' }), { enableHighAccuracy: true, maximumAge: 0, timeout: 60000 });
  return () => navigator.geolocation.clearWatch(id);
}

export async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** A camera file → {data: ArrayBuffer, type, sha256, width, height}; JPEGs already small enough stay byte-identical. */
export async function preparePhoto(file) {
  const bitmap = await createImageBitmap(file);
  const { width, height } = bitmap;
  bitmap.close();
  let out = file;
  if (!(file.type === 'image/jpeg' && Math.max(width, height) <= MAX_PX && file.size <= 1024 * 1024)) {
    // Loaded when first needed (its own precached chunk): the app starts without parsing it.
    const { default: imageCompression } = await import('browser-image-compression');
    out = await imageCompression(file, {
      maxWidthOrHeight: MAX_PX, maxSizeMB: 1, fileType: 'image/jpeg', initialQuality: 0.8,
      useWebWorker: true,
      // Our own copy (vite.config.js); the library's default is a CDN.
      libURL: new URL('/vendor/browser-image-compression.js', location.href).href,
    });
    // The camera's EXIF (date taken, position, make, model) is evidence: copied into the smaller JPEG
    // with its orientation reset (the pixels are upright now). Done here, once, not by the library's
    // `preserveExif` (which copies it both in its worker and again on the page).
    if (file.type === 'image/jpeg') {
      out = await imageCompression.copyExifWithoutOrientation(file, out).catch((error) => {
        console.warn('EXIF not kept', error);
        return out;
      });
    }
  }
  const data = await out.arrayBuffer();
  const scaled = await createImageBitmap(new Blob([data], { type: 'image/jpeg' }));
  const result = { data, type: 'image/jpeg', sha256: await sha256Hex(data), width: scaled.width, height: scaled.height, size: data.byteLength };
  scaled.close();
  return result;
}

export function distanceKm(a, b) {
  const rad = (d) => (d * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat); const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 12742 * Math.asin(Math.sqrt(h));
}
