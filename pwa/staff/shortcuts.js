// Keyboard shortcuts of a page: elements with data-key="j" are clicked (links followed, buttons pressed)
// when that key is pressed outside a text field. The page lists its shortcuts in words too.
const TEXT = new Set(['INPUT', 'TEXTAREA', 'SELECT']);
let installed = false;

export function start() {
  if (installed) return;
  installed = true;
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || TEXT.has(event.target.tagName)) return;
    if (event.target.isContentEditable || document.querySelector('.pswp--open')) return;
    const target = document.querySelector(`[data-key="${CSS.escape(event.key)}"]`);
    if (!target) return;
    event.preventDefault();
    target.click();
  });
}
