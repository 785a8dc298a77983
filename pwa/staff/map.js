// The staff map page (server/gis/pages.py): MapLibre GL over our own vector tiles, one source per kecamatan
// of the user's area (each tile URL carries the kecamatan's data version, so tiles are cached as immutable),
// no basemap unless the server configures one (a style URL, a raster tile template or a PMTiles file the
// server serves). The page's query string is the household list's filters: every tile URL carries them, a
// click opens the list with them, and "Hanya yang terlihat di peta" limits the page's table to the visible
// extent (bbox in the query string too, so a reload or a shared link shows the same). Without WebGL 2 this
// island does nothing and the page keeps its server-drawn SVG choropleth and table.
import * as maplibregl from 'maplibre-gl';
import { Protocol } from 'pmtiles';
import 'maplibre-gl/dist/maplibre-gl.css';
// The worker is its own file, served from our origin like every asset (no CDN).
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';

maplibregl.setWorkerUrl(workerUrl);
maplibregl.addProtocol('pmtiles', new Protocol().tile);

function webgl2() {
  try {
    return Boolean(document.createElement('canvas').getContext('webgl2'));
  } catch {
    return false;
  }
}

function fillColour(metric, settings) {
  const { breaks } = settings.metrics[metric];
  const step = ['step', ['to-number', ['get', metric]], settings.palette[0]];
  breaks.forEach((limit, index) => step.push(limit + 1e-9, settings.palette[index + 1]));
  return ['case', ['has', metric], step, settings.noData];
}

function drawLegend(root, metric, settings) {
  const title = root.querySelector('[data-legend-title]');
  const list = root.querySelector('[data-legend]');
  if (!title || !list) return;
  const { label, breaks } = settings.metrics[metric];
  title.textContent = label;
  const items = list.querySelectorAll('li');
  settings.palette.forEach((colour, index) => {
    const item = items[index];
    if (!item) return;
    const svg = item.querySelector('svg');
    let text;
    if (index === 0) text = ` ≤ ${breaks[0]}`;
    else if (index === settings.palette.length - 1) text = ` > ${breaks[breaks.length - 1]}`;
    else text = ` ${breaks[index - 1]}–${breaks[index]}`;
    item.replaceChildren(svg, document.createTextNode(text));
  });
}

function bounds(sources, region) {
  const chosen = region ? sources.filter((s) => region.startsWith(s.region) || s.region.startsWith(region)) : [];
  const all = (chosen.length ? chosen : sources).map((source) => source.bounds).filter(Boolean);
  if (!all.length) return [[117.05, -0.72], [117.3, -0.31]];
  return [
    [Math.min(...all.map((b) => b[0])), Math.min(...all.map((b) => b[1]))],
    [Math.max(...all.map((b) => b[2])), Math.max(...all.map((b) => b[3]))],
  ];
}

function startBounds(settings, layers) {
  const asked = new URL(window.location.href).searchParams;
  const box = asked.get('terlihat') && asked.get('bbox');
  const numbers = box ? box.split(',').map(Number) : [];
  if (numbers.length === 4 && numbers.every(Number.isFinite)) return [[numbers[0], numbers[1]], [numbers[2], numbers[3]]];
  return bounds(layers[0] ? layers[0].sources : [], settings.region);
}

function absolute(url) {
  return url.startsWith('/') ? window.location.origin + url : url;
}

// The configured basemap under our layers: its sources and layers first (glyphs and sprite too), ours on top.
async function addBasemap(style, basemap) {
  if (!basemap) return;
  if (basemap.kind === 'raster' || basemap.kind === 'pmtiles') {
    style.sources.basemap = basemap.kind === 'raster'
      ? { type: 'raster', tiles: [absolute(basemap.url)], tileSize: 256 }
      : { type: 'raster', url: `pmtiles://${absolute(basemap.url)}`, tileSize: 256 };
    style.layers.splice(1, 0, { id: 'basemap', type: 'raster', source: 'basemap' });
    return;
  }
  const answer = await fetch(absolute(basemap.url), { credentials: 'same-origin' });
  if (!answer.ok) return;
  const base = await answer.json();
  Object.assign(style.sources, base.sources || {});
  style.layers.splice(1, 0, ...(base.layers || []).filter((layer) => layer.type !== 'background'));
  if (base.glyphs) style.glyphs = base.glyphs;
  if (base.sprite) style.sprite = base.sprite;
}

function withFilter(url, filter) {
  return filter ? `${url}${url.includes('?') ? '&' : '?'}${filter}` : url;
}

function extentOf(map) {
  const b = map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(',');
}

// "Hanya yang terlihat di peta": the page's table follows the visible extent; the query string keeps it.
function followExtent(root, map, settings) {
  const box = root.querySelector('[data-visible-only]');
  if (!box) return;
  const fields = {
    terlihat: root.querySelector('[data-visible-field]'),
    bbox: root.querySelector('[data-bbox-field]'),
  };
  let timer;
  let asked = 0;
  const refresh = async () => {
    const url = new URL(window.location.href);
    if (box.checked) {
      url.searchParams.set('terlihat', '1');
      url.searchParams.set('bbox', extentOf(map));
    } else {
      url.searchParams.delete('terlihat');
      url.searchParams.delete('bbox');
    }
    window.history.replaceState(null, '', url);
    for (const [name, field] of Object.entries(fields)) {
      if (!field) continue;
      field.disabled = !box.checked;
      field.value = url.searchParams.get(name) || '';
    }
    const ticket = ++asked;
    const answer = await fetch(`${settings.table}${url.search}`, { credentials: 'same-origin' });
    if (!answer.ok || ticket !== asked) return;
    const table = root.querySelector('[data-map-table]');
    const fresh = new DOMParser().parseFromString(await answer.text(), 'text/html').querySelector('[data-map-table]');
    if (table && fresh) table.replaceWith(document.importNode(fresh, true));
    // The extent the table now shows ('' for the whole area): the browser test waits for it.
    map.getContainer().dataset.tableExtent = box.checked ? url.searchParams.get('bbox') : '';
  };
  box.addEventListener('change', refresh);
  map.on('moveend', () => {
    if (!box.checked) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
  if (box.checked) map.once('idle', refresh);
}

export async function start(root) {
  const element = root.querySelector('[data-map]');
  if (!element || element.dataset.started) return;
  element.dataset.started = 'yes';
  if (!webgl2()) return;
  const settings = JSON.parse(element.dataset.settings);
  const answer = await fetch(settings.index, { credentials: 'same-origin' });
  if (!answer.ok) return;
  const layers = (await answer.json()).data.layers;
  const select = root.querySelector('#metrik');
  let metric = select ? select.value : 'visited_pct';

  const style = {
    version: 8,
    sources: {},
    layers: [{ id: 'latar', type: 'background', paint: { 'background-color': '#f7f7f4' } }],
  };
  const fills = [];
  const group = { kelurahan: [], households: [], visits: [] };
  for (const layer of layers) {
    for (const source of layer.sources) {
      const id = `${layer.id}-${source.region}`;
      style.sources[id] = {
        type: 'vector',
        tiles: source.tiles.map((url) => withFilter(absolute(url), settings.filter)),
        bounds: source.bounds || undefined,
        minzoom: 0,
        maxzoom: 16,
      };
      if (layer.id === 'kelurahan') {
        fills.push(`${id}-isi`);
        style.layers.push(
          { id: `${id}-isi`, type: 'fill', source: id, 'source-layer': 'kelurahan',
            paint: { 'fill-color': fillColour(metric, settings), 'fill-opacity': 0.8 } },
          { id: `${id}-batas`, type: 'line', source: id, 'source-layer': 'kelurahan',
            paint: { 'line-color': '#555', 'line-width': 0.6 } },
          { id: `${id}-kecamatan`, type: 'line', source: id, 'source-layer': 'kecamatan',
            paint: { 'line-color': '#222', 'line-width': 1.6 } },
        );
        group.kelurahan.push(`${id}-isi`, `${id}-batas`, `${id}-kecamatan`);
      } else if (layer.id === 'households') {
        style.layers.push(
          { id: `${id}-sel`, type: 'circle', source: id, 'source-layer': 'households', maxzoom: 13,
            paint: { 'circle-color': '#6a51a3', 'circle-opacity': 0.6,
              'circle-radius': ['interpolate', ['linear'], ['get', 'households'], 1, 3, 500, 14] } },
          { id: `${id}-titik`, type: 'circle', source: id, 'source-layer': 'households', minzoom: 13,
            paint: { 'circle-radius': 3.5, 'circle-stroke-width': 0.5, 'circle-stroke-color': '#fff',
              'circle-color': ['match', ['get', 'verification_status'], 'approved', '#1a9850', 'visited', '#fdae61',
                'rejected', '#d73027', 'revisit', '#f46d43', '#8c8c8c'] } },
        );
        group.households.push(`${id}-sel`, `${id}-titik`);
      } else if (layer.id === 'visits') {
        style.layers.push(
          { id: `${id}-garis`, type: 'line', source: id, 'source-layer': 'visit_offsets', layout: { visibility: 'none' },
            paint: { 'line-color': '#d73027', 'line-width': 1 } },
          { id: `${id}-titik`, type: 'circle', source: id, 'source-layer': 'visits', layout: { visibility: 'none' },
            paint: { 'circle-radius': 3, 'circle-color': '#d73027' } },
        );
        group.visits.push(`${id}-garis`, `${id}-titik`);
      }
    }
  }
  await addBasemap(style, settings.basemap);

  element.hidden = false;
  const fallback = root.querySelector('[data-map-fallback] svg');
  if (fallback) fallback.setAttribute('hidden', '');
  root.querySelectorAll('[data-map-no-js]').forEach((node) => { node.hidden = true; });
  root.querySelectorAll('[data-map-only]').forEach((node) => { node.hidden = false; });

  const map = new maplibregl.Map({
    container: element,
    style,
    bounds: startBounds(settings, layers),
    fitBoundsOptions: { padding: 20 },
    attributionControl: { customAttribution: 'Batas wilayah: cahyadsn/wilayah_boundaries (MIT)' },
    dragRotate: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  // For the browser tests: the map itself, and whether it is idle (every tile loaded and drawn).
  window.vervalMap = map;
  window.vervalMapIdle = false;
  map.on('idle', () => { window.vervalMapIdle = true; });
  map.on('dataloading', () => { window.vervalMapIdle = false; });

  select?.addEventListener('change', () => {
    metric = select.value;
    for (const id of fills) map.setPaintProperty(id, 'fill-color', fillColour(metric, settings));
    drawLegend(root, metric, settings);
    const field = root.querySelector('[data-map-metric-field]');
    if (field) field.value = metric;
    const url = new URL(window.location.href);
    url.searchParams.set('metrik', metric);
    window.history.replaceState(null, '', url);
  });
  root.querySelectorAll('input[name="lapisan"]').forEach((box) => {
    box.addEventListener('change', () => {
      for (const id of group[box.value] || []) map.setLayoutProperty(id, 'visibility', box.checked ? 'visible' : 'none');
    });
    if (box.value === 'visits' && box.checked) box.dispatchEvent(new Event('change'));
  });

  map.on('click', (event) => {
    const points = map.queryRenderedFeatures(event.point, { layers: group.households.filter((id) => id.endsWith('-titik')) });
    if (points.length && points[0].properties.id) {
      window.location.assign(`${settings.households}/${points[0].properties.id}`);
      return;
    }
    const areas = map.queryRenderedFeatures(event.point, { layers: fills });
    if (areas.length) {
      const query = new URLSearchParams({ region: areas[0].properties.code, ...settings.listFilter });
      window.location.assign(`${settings.households}?${query}`);
    }
  });
  followExtent(root, map, settings);
  // The filters reload the page (tiles, legend classes and table all follow the query string).
  const filters = root.querySelector('[data-map-filters]');
  filters?.querySelectorAll('select, input[type="checkbox"]').forEach((field) => {
    field.addEventListener('change', () => filters.requestSubmit());
  });
  for (const id of fills) {
    map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
  }
}
