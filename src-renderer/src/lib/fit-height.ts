/**
 * A Svelte action: the element's height fills the window below where it starts in the page (what is above
 * it wraps and grows: filter chips, an open plot), at least `min` px, with `margin` px left at the bottom.
 * Without it a fixed `calc(100vh - …)` guess left the last rows of a scrolled table below the window.
 */
export function fitHeight(node: HTMLElement, opts: { min?: number; margin?: number } = {}): { destroy(): void } {
  const min = opts.min ?? 320;
  const margin = opts.margin ?? 16;
  let frame = 0;
  const fit = () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      const top = node.getBoundingClientRect().top + window.scrollY;
      const h = Math.max(min, Math.floor(window.innerHeight - top - margin));
      if (node.style.height !== `${h}px`) node.style.height = `${h}px`;
    });
  };
  // What is above the element changes its top: watch the element's parent (its siblings grow it) and the window.
  const observer = new ResizeObserver(fit);
  if (node.parentElement) observer.observe(node.parentElement);
  window.addEventListener('resize', fit);
  fit();
  return {
    destroy() {
      cancelAnimationFrame(frame);
      observer.disconnect();
      window.removeEventListener('resize', fit);
    },
  };
}
