// Hash router: "#/name/arg" → a screen function. Renders are queued, so a slower older render never
// lands last; each screen can register clean-ups (timers, GPS watches, object URLs) that run when the
// next screen is drawn. App-independent.

export function createRouter({ screens, fallback, guard }) {
  let cleanups = [];
  let refresher = null;
  let queue = Promise.resolve();

  function parse() {
    const [, name = '', ...args] = (location.hash || '').split('/');
    return { name, args };
  }

  async function renderCurrent() {
    refresher = null;
    for (const fn of cleanups.splice(0)) {
      try { fn(); } catch (error) { console.error('cleanup failed', error); }
    }
    const { name, args } = parse();
    const redirect = guard ? await guard(name) : null;
    const screen = redirect || screens[name] || screens[fallback];
    try {
      await screen(...args);
    } catch (error) {
      console.error(`screen ${name} failed`, error);
    }
  }

  return {
    /** Draws the screen of the current hash (queued). */
    route() { queue = queue.then(renderCurrent, renderCurrent); return queue; },
    go(hash) { if (location.hash === hash) return this.route(); location.hash = hash; return queue; },
    onLeave(fn) { cleanups.push(fn); },
    /** The current screen's own way to show new data (e.g. redraw results, not the search box). */
    onRefresh(fn) { refresher = fn; },
    /** New data arrived: the screen's refresher if it has one, else a full redraw. */
    refresh() { queue = queue.then(() => (refresher ? refresher() : renderCurrent())).catch((e) => console.error(e)); return queue; },
    current: parse,
  };
}
