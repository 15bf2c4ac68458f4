/**
 * The ACON explorer: three views (the family, learned layers, training in the browser) over one
 * state that lives in the URL. The layers and training views load tfjs backends on first use.
 */
import { plotted } from './charts.js';
import { mountFamily } from './family.js';
import { VIEWS, stateFromQuery, stateToQuery, type ExplorerState, type View } from './state.js';

let state: ExplorerState = stateFromQuery(location.search);
const family = mountFamily((change) => setState(change));
const mounted = new Set<View>(['family']);
document.getElementById('view-family')!.dataset.ready = 'true';
let training: import('./train.js').TrainView | undefined;
let layersView: import('./layers_view.js').LayersView | undefined;

function setState(change: Partial<ExplorerState>): void {
  state = { ...state, ...change };
  history.replaceState(null, '', stateToQuery(state));
  render();
}

async function mountView(view: View): Promise<void> {
  if (mounted.has(view)) return;
  mounted.add(view);
  if (view === 'layers') layersView = (await import('./layers_view.js')).mountLayers();
  if (view === 'train')
    training = (await import('./train.js')).mountTraining(
      () => state,
      (change) => setState(change),
    );
  document.getElementById(`view-${view}`)!.dataset.ready = 'true';
}

function render(): void {
  for (const v of VIEWS) {
    const tab = document.getElementById(`tab-${v}`)!;
    tab.setAttribute('aria-selected', String(v === state.view));
    tab.tabIndex = v === state.view ? 0 : -1;
    document.getElementById(`view-${v}`)!.hidden = v !== state.view;
  }
  if (state.view === 'family') family.render(state);
  else void mountView(state.view).catch(reportError);
}

// Tabs: click, or arrow keys / Home / End between them (WAI-ARIA tabs pattern).
const tabs = [...document.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
for (const tab of tabs) {
  tab.addEventListener('click', () => setState({ view: tab.dataset.view as View }));
  tab.addEventListener('keydown', (e) => {
    const i = tabs.indexOf(tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    const target = tabs[(next + tabs.length) % tabs.length];
    target.focus();
    setState({ view: target.dataset.view as View });
  });
}

let resizeTimer = 0;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    render();
    layersView?.resize();
    training?.resize();
  }, 120);
});

function reportError(e: unknown): void {
  console.error(e);
}

/** Read-only hooks for tests and the curious: the state, the plotted series, the training histories. */
Object.assign(window, {
  aconExplorer: {
    state: () => ({ ...state }),
    plotted: (id: string) => plotted.get(id)?.map((s) => ({ label: s.label, points: s.points.map((p) => [p[0], p[1]]) })),
    training: () => training?.snapshot(),
    layers: () => layersView?.snapshot(),
  },
});

render();
