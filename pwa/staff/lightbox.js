// Photo lightbox (PhotoSwipe, bundled): <a data-lightbox href="full.jpg" data-width data-height><img></a>
// inside a [data-gallery] opens the photo at full size; arrows move between the visit's photos.
import PhotoSwipeLightbox from 'photoswipe/lightbox';
import 'photoswipe/style.css';

const started = new WeakSet();

export function start(root) {
  for (const gallery of root.querySelectorAll('[data-gallery]')) {
    if (started.has(gallery)) continue;
    started.add(gallery);
    const lightbox = new PhotoSwipeLightbox({
      gallery,
      children: 'a[data-lightbox]',
      pswpModule: () => import('photoswipe'),
      closeTitle: document.documentElement.lang === 'en' ? 'Close' : 'Tutup',
      zoomTitle: document.documentElement.lang === 'en' ? 'Zoom' : 'Perbesar',
      arrowPrevTitle: document.documentElement.lang === 'en' ? 'Previous' : 'Sebelumnya',
      arrowNextTitle: document.documentElement.lang === 'en' ? 'Next' : 'Berikutnya',
    });
    lightbox.addFilter('domItemData', (item, element) => ({
      ...item,
      width: Number(element.dataset.width) || 1600,
      height: Number(element.dataset.height) || 1200,
    }));
    // The viewer is a dialog: give it a name (axe-core: aria-dialog-name).
    lightbox.on('afterInit', () => {
      lightbox.pswp.element.setAttribute('aria-label', document.documentElement.lang === 'en' ? 'Photo, full size' : 'Foto ukuran penuh');
    });
    lightbox.init();
  }
}
