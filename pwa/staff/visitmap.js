// The review page's small map (server/staff/place.py): the visit's GPS fix with its accuracy circle and the
// household's registered point, drawn by the MapLibre GL the map page bundles (no CDN, no tiles: the two
// points travel in the page). main.js loads it only where WebGL 2 works; elsewhere the server's SVG stays.
import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';

maplibregl.setWorkerUrl(workerUrl);

const METRES_PER_DEGREE = 111320;

// The accuracy circle as a polygon of 64 points (metres turned into degrees around the fix).
function circle([lon, lat], metres) {
  const ring = [];
  const perLon = METRES_PER_DEGREE * Math.cos((lat * Math.PI) / 180);
  for (let step = 0; step <= 64; step += 1) {
    const angle = (step / 64) * 2 * Math.PI;
    ring.push([lon + (metres * Math.cos(angle)) / perLon, lat + (metres * Math.sin(angle)) / METRES_PER_DEGREE]);
  }
  return ring;
}

function extent(points) {
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  return [[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]];
}

export function start(root) {
  const element = root.querySelector('[data-visit-map]');
  if (!element || element.dataset.started) return;
  element.dataset.started = 'yes';
  const settings = JSON.parse(element.dataset.settings);
  const ring = circle(settings.visit, Math.max(settings.accuracy, 1));
  const features = [
    { type: 'Feature', properties: { kind: 'accuracy' }, geometry: { type: 'Polygon', coordinates: [ring] } },
    { type: 'Feature', properties: { kind: 'visit' }, geometry: { type: 'Point', coordinates: settings.visit } },
  ];
  const points = [...ring, settings.visit];
  if (settings.home) {
    features.push(
      { type: 'Feature', properties: { kind: 'line' }, geometry: { type: 'LineString', coordinates: [settings.visit, settings.home] } },
      { type: 'Feature', properties: { kind: 'home' }, geometry: { type: 'Point', coordinates: settings.home } },
    );
    points.push(settings.home);
  }
  const kind = (name) => ['==', ['get', 'kind'], name];
  element.hidden = false;
  const plot = root.querySelector('[data-place-plot]');
  if (plot) plot.setAttribute('hidden', ''); // an SVG element: no .hidden property
  const map = new maplibregl.Map({
    container: element,
    style: {
      version: 8,
      sources: { place: { type: 'geojson', data: { type: 'FeatureCollection', features } } },
      layers: [
        { id: 'latar', type: 'background', paint: { 'background-color': '#f7f7f4' } },
        { id: 'akurasi', type: 'fill', source: 'place', filter: kind('accuracy'),
          paint: { 'fill-color': '#0b5c8e', 'fill-opacity': 0.15, 'fill-outline-color': '#0b5c8e' } },
        { id: 'garis', type: 'line', source: 'place', filter: kind('line'),
          paint: { 'line-color': '#1b2430', 'line-width': 1.5, 'line-dasharray': [3, 2] } },
        { id: 'terdaftar', type: 'circle', source: 'place', filter: kind('home'),
          paint: { 'circle-radius': 6, 'circle-color': '#ffffff', 'circle-stroke-color': '#a11d21', 'circle-stroke-width': 3 } },
        { id: 'kunjungan', type: 'circle', source: 'place', filter: kind('visit'),
          paint: { 'circle-radius': 5, 'circle-color': '#0b5c8e', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 } },
      ],
    },
    bounds: extent(points),
    fitBoundsOptions: { padding: 24, maxZoom: 19 },
    attributionControl: false,
    dragRotate: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }));
  // For the browser tests: the map, and whether it has drawn.
  window.vervalVisitMap = map;
  map.on('idle', () => { element.dataset.drawn = 'yes'; });
}
