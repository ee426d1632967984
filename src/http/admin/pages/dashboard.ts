// The dashboard: the numbers a support lead looks at (tickets/stats.ts), as charts drawn here in
// SVG — no script, no chart library, readable by a screen reader through each chart's title and a
// table of the same numbers.
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import { dashboard, type Dashboard } from '../../../tickets/stats.ts';
import type { AdminEnv } from '../guard.ts';
import type { Lang, Strings } from '../i18n.ts';
import { page, type Markup } from '../layout.ts';
import { sessionScope } from './ticket-list.ts';

const WORDS = {
  en: {
    title: 'Dashboard',
    openedClosed: 'Tickets opened and closed per week',
    opened: 'opened',
    closed: 'closed',
    backlogStatus: 'Open tickets by status',
    backlogProject: 'Open tickets by project',
    noProject: '(no project)',
    awaiting: 'Open tickets waiting for',
    staff: 'staff',
    client: 'the client',
    times: 'Median hours to a first answer and to resolution, per week',
    firstResponse: 'first answer',
    resolution: 'resolution',
    week: 'Week of',
  },
  fr: {
    title: 'Tableau de bord',
    openedClosed: 'Tickets ouverts et fermés par semaine',
    opened: 'ouverts',
    closed: 'fermés',
    backlogStatus: 'Tickets ouverts par état',
    backlogProject: 'Tickets ouverts par projet',
    noProject: '(sans projet)',
    awaiting: 'Tickets ouverts en attente',
    staff: 'de l’équipe',
    client: 'du client',
    times: 'Heures médianes jusqu’à la première réponse et jusqu’à la résolution, par semaine',
    firstResponse: 'première réponse',
    resolution: 'résolution',
    week: 'Semaine du',
  },
} satisfies Record<Lang, Record<string, string>>;

const W = 640;
const H = 200;
const PAD = 28;

/** Opened and closed side by side for each week. */
function weeklyBars(d: Dashboard, w: (typeof WORDS)['en']): Markup {
  const max = Math.max(1, ...d.opened, ...d.closed);
  const slot = (W - PAD * 2) / d.weeks.length;
  const bar = Math.max(2, slot / 2 - 3);
  const y = (n: number) => H - PAD - (n / max) * (H - PAD * 2);
  return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="c1" class="chart"><title id="c1">${w.openedClosed}</title>
<line x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}" stroke="#9aa5b1"/>
<text x="${PAD}" y="${PAD - 10}" font-size="11" fill="#616e7c">${max}</text>
${d.weeks.map((week, i) => {
  const x = PAD + i * slot;
  return html`<rect x="${x + 2}" y="${y(d.opened[i]!)}" width="${bar}" height="${H - PAD - y(d.opened[i]!)}" fill="#1d4ed8"><title>${week}: ${d.opened[i]} ${w.opened}</title></rect>
<rect x="${x + 2 + bar + 2}" y="${y(d.closed[i]!)}" width="${bar}" height="${H - PAD - y(d.closed[i]!)}" fill="#047857"><title>${week}: ${d.closed[i]} ${w.closed}</title></rect>
${i % 2 === 0 ? html`<text x="${x + 2}" y="${H - PAD + 14}" font-size="10" fill="#616e7c">${week.slice(5)}</text>` : ''}`;
})}
</svg>
<p class="legend"><span class="key opened"></span>${w.opened} <span class="key closed"></span>${w.closed}</p>`;
}

function horizontalBars(id: string, title: string, items: Array<{ label: string; n: number }>): Markup {
  const max = Math.max(1, ...items.map((i) => i.n));
  const rowH = 22;
  const height = Math.max(rowH, items.length * rowH) + 8;
  return html`<svg viewBox="0 0 ${W} ${height}" role="img" aria-labelledby="${id}" class="chart"><title id="${id}">${title}</title>
${items.map((item, i) => html`<text x="0" y="${i * rowH + 15}" font-size="12" fill="#1f2933">${item.label}</text>
<rect x="180" y="${i * rowH + 4}" width="${Math.max(1, (item.n / max) * (W - 240))}" height="14" fill="#1d4ed8"/>
<text x="${186 + (item.n / max) * (W - 240)}" y="${i * rowH + 15}" font-size="12" fill="#1f2933">${item.n}</text>`)}
</svg>`;
}

function medianLines(d: Dashboard, w: (typeof WORDS)['en']): Markup {
  const values = [...d.firstResponseHours, ...d.resolutionHours].filter((v): v is number => v !== null);
  const max = Math.max(1, ...values);
  const step = (W - PAD * 2) / Math.max(1, d.weeks.length - 1);
  const points = (series: Array<number | null>) =>
    series.map((v, i) => (v === null ? null : `${(PAD + i * step).toFixed(1)},${(H - PAD - (v / max) * (H - PAD * 2)).toFixed(1)}`)).filter(Boolean).join(' ');
  return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="c4" class="chart"><title id="c4">${w.times}</title>
<line x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}" stroke="#9aa5b1"/>
<text x="${PAD}" y="${PAD - 10}" font-size="11" fill="#616e7c">${Math.round(max)} h</text>
<polyline points="${points(d.firstResponseHours)}" fill="none" stroke="#1d4ed8" stroke-width="2"/>
<polyline points="${points(d.resolutionHours)}" fill="none" stroke="#b45309" stroke-width="2"/>
</svg>
<p class="legend"><span class="key opened"></span>${w.firstResponse} <span class="key resolution"></span>${w.resolution}</p>`;
}

const hours = (v: number | null) => (v === null ? '—' : v < 10 ? v.toFixed(1) : String(Math.round(v)));

function dashboardView(t: Strings, lang: Lang, d: Dashboard): Markup {
  const w = WORDS[lang];
  return html`<h1>${w.title}</h1>
<section class="card"><h2>${w.openedClosed}</h2>${weeklyBars(d, w)}</section>
<div class="grid2">
<section class="card"><h2>${w.backlogStatus}</h2>${horizontalBars('c2', w.backlogStatus, d.byStatus.map((s) => ({ label: t.status[s.status], n: s.n })))}</section>
<section class="card"><h2>${w.awaiting}</h2><p class="big">${w.staff}: <strong>${d.awaiting.staff}</strong></p><p class="big">${w.client}: <strong>${d.awaiting.client}</strong></p></section>
</div>
<section class="card"><h2>${w.backlogProject}</h2>${horizontalBars('c3', w.backlogProject, d.byProject.map((p) => ({ label: p.project ?? w.noProject, n: p.n })))}</section>
<section class="card"><h2>${w.times}</h2>${medianLines(d, w)}
<table class="list"><thead><tr><th scope="col">${w.week}</th><th scope="col">${w.opened}</th><th scope="col">${w.closed}</th><th scope="col">${w.firstResponse} (h)</th><th scope="col">${w.resolution} (h)</th></tr></thead>
<tbody>${d.weeks.map((week, i) => html`<tr><td>${week}</td><td class="num">${d.opened[i]}</td><td class="num">${d.closed[i]}</td><td class="num">${hours(d.firstResponseHours[i]!)}</td><td class="num">${hours(d.resolutionHours[i]!)}</td></tr>`)}</tbody></table>
</section>`;
}

export function dashboardPage(deps: { db: Kysely<Database>; now: () => Date }) {
  const app = new Hono<AdminEnv>();
  app.get('/', async (c) => {
    const t = c.get('t');
    const lang = c.get('lang');
    // An agent kept to some projects sees the numbers of those projects (and of the shared inbox).
    const d = await dashboard(deps.db, deps.now(), undefined, await sessionScope(deps.db, c.get('session')));
    return c.html(page({ t, lang, title: WORDS[lang].title, session: c.get('session'), current: 'dashboard' }, dashboardView(t, lang, d)));
  });
  return app;
}
