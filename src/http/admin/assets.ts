// The admin's only stylesheet, served from /admin/assets/admin.css: the CSP allows no inline style
// or script. Calm and readable; system fonts; works at any width.
export const ADMIN_CSS = `
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f5f7fa; --card:#fff; --accent:#1d4ed8; --warn:#b91c1c; --ok:#047857; --note:#fff7e0; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); }
a { color:var(--accent); }
a:focus, button:focus, input:focus, select:focus, textarea:focus { outline:3px solid #93c5fd; outline-offset:1px; }
.skip { position:absolute; left:-999px; } .skip:focus { left:8px; top:8px; background:#fff; padding:4px 8px; z-index:9; }
header.top { display:flex; align-items:center; gap:16px; padding:8px 16px; background:var(--ink); color:#fff; }
header.top a { color:#fff; text-decoration:none; font-weight:600; }
header.top form { margin-left:auto; }
header.top button { background:transparent; color:#fff; border:1px solid #52606d; border-radius:4px; padding:2px 10px; cursor:pointer; }
.shell { display:grid; grid-template-columns: 220px 1fr; min-height: calc(100vh - 44px); }
nav.side { background:var(--card); border-right:1px solid var(--line); padding:12px 0; }
nav.side h2 { font-size:12px; text-transform:uppercase; letter-spacing:.05em; color:var(--muted); margin:12px 16px 4px; }
nav.side a { display:flex; justify-content:space-between; padding:4px 16px; text-decoration:none; color:var(--ink); }
nav.side a[aria-current="page"] { background:#e0e7ff; font-weight:600; }
nav.side .count { color:var(--muted); font-variant-numeric: tabular-nums; }
main { padding:16px 24px; min-width:0; }
h1 { font-size:20px; margin:0 0 12px; }
main h2 { font-size:16px; }
table.list { width:100%; border-collapse:collapse; background:var(--card); border:1px solid var(--line); }
table.list th, table.list td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
table.list th { font-size:12px; color:var(--muted); font-weight:600; }
table.list td.num { font-variant-numeric: tabular-nums; white-space:nowrap; }
.badge { display:inline-block; font-size:12px; padding:0 6px; border-radius:8px; background:#e4e7eb; color:var(--ink); }
.badge.feedback { background:#fee2e2; color:var(--warn); }
.badge.answered { background:#dbeafe; color:#1e40af; }
.badge.unverified { background:#fef3c7; color:#92400e; }
.card { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:12px 16px; margin-bottom:12px; }
.entry.note { background:var(--note); }
.entry header { display:flex; gap:8px; color:var(--muted); font-size:13px; }
.entry .text { white-space:pre-wrap; overflow-wrap:anywhere; }
form.stack label { display:block; margin:8px 0 2px; font-weight:600; }
input[type=text], input[type=email], input[type=password], input[type=search], select, textarea { font:inherit; padding:6px 8px; border:1px solid #7b8794; border-radius:4px; width:100%; max-width:560px; background:#fff; }
textarea { min-height:140px; max-width:none; }
button.primary { background:var(--accent); color:#fff; border:0; border-radius:4px; padding:6px 14px; font:inherit; cursor:pointer; margin-top:8px; }
button.secondary { background:#fff; color:var(--ink); border:1px solid #cbd2d9; border-radius:4px; padding:6px 14px; font:inherit; cursor:pointer; margin-top:8px; }
.flash { padding:8px 12px; border-radius:4px; margin-bottom:12px; }
.flash.error { background:#fee2e2; color:var(--warn); } .flash.ok { background:#d1fae5; color:var(--ok); }
.login { max-width:360px; margin:10vh auto; }
.fields { display:grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap:8px; }
.grid2 { display:grid; grid-template-columns: 1fr 320px; gap:16px; align-items:start; }
.attachments { margin:8px 0 0; padding-left:18px; } .attachments img.preview { max-width:100%; max-height:320px; border:1px solid var(--line); margin-top:4px; }
iframe.mail-html { width:100%; min-height:320px; border:1px solid var(--line); background:#fff; }
.muted { color:var(--muted); } .merged h2 { font-size:15px; } ul.others { padding-left:18px; }
form.filters { display:flex; flex-wrap:wrap; gap:8px 12px; align-items:end; } form.filters > div { min-width:120px; } form.filters .grow { flex:1 1 220px; }
form.filters label { display:block; font-size:12px; color:var(--muted); font-weight:600; } form.filters button { margin-top:0; }
fieldset.bulk { display:flex; flex-wrap:wrap; gap:8px 12px; align-items:end; margin-top:12px; } fieldset.bulk legend { font-weight:600; }
fieldset.bulk label { display:block; font-size:12px; color:var(--muted); }
.visually-hidden { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
form.inline { display:flex; gap:8px; align-items:center; flex-wrap:wrap; margin-bottom:8px; } form.inline select { width:auto; }
svg.chart { width:100%; height:auto; max-width:720px; } .legend { font-size:13px; color:var(--muted); }
.key { display:inline-block; width:10px; height:10px; margin:0 4px 0 10px; } .key.opened { background:#1d4ed8; } .key.closed { background:#047857; } .key.resolution { background:#b45309; }
p.big { font-size:18px; margin:4px 0; }
@media (max-width: 900px) { .shell { grid-template-columns: 1fr; } .grid2 { grid-template-columns: 1fr; } }
nav.tabs, nav.filters { display:flex; flex-wrap:wrap; gap:4px; margin:0 0 12px; }
nav.tabs a, nav.filters a { padding:2px 10px; border:1px solid var(--line); border-radius:12px; background:var(--card); text-decoration:none; }
nav.tabs a[aria-current="page"], nav.filters a[aria-current="page"] { background:#e0e7ff; font-weight:600; }
.person header { display:flex; flex-wrap:wrap; align-items:baseline; gap:8px; } .person h2 { font-size:16px; margin:0; }
ul.held { padding-left:18px; } ul.held li { margin-bottom:6px; }
.excerpt, pre.mailtext { white-space:pre-wrap; overflow-wrap:anywhere; } .excerpt { color:var(--muted); font-size:13px; }
pre.mailtext { font:13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background:var(--bg); padding:8px; border-radius:4px; max-height:70vh; overflow:auto; }
.actions { display:flex; flex-wrap:wrap; gap:8px; align-items:flex-start; } form.inline { display:inline; } form.action { margin:4px 0; }
.actions button, form.action button { margin-top:0; } details.refuse textarea.short, textarea.short { min-height:60px; }
.reason { overflow-wrap:anywhere; font-size:13px; }
.card.mail h2 { font-size:16px; margin:0 0 8px; } .card.mail.person h2 { margin:0; }
.card.mail dl { display:grid; grid-template-columns:max-content 1fr; gap:4px 12px; margin:0 0 8px; } .card.mail dd { margin:0; min-width:0; }
iframe.preview { width:100%; min-height:420px; border:1px solid var(--line); background:#fff; }
.badge.inbound-quarantined, .badge.inbound-failed, .badge.outbox-failed, .badge.outbox-bounced, .badge.state-blocked, .badge.state-refused { background:#fee2e2; color:var(--warn); }
.badge.inbound-held, .badge.state-pending, .badge.outbox-pending { background:#fef3c7; color:#92400e; }
.badge.inbound-processed, .badge.outbox-sent, .badge.state-active { background:#d1fae5; color:var(--ok); }
nav.setup-tabs { display:flex; flex-wrap:wrap; gap:4px; margin:0 0 12px; }
nav.setup-tabs a { padding:2px 10px; border:1px solid var(--line); border-radius:12px; background:var(--card); text-decoration:none; }
nav.setup-tabs a[aria-current="page"] { background:#e0e7ff; font-weight:600; }
form.stack fieldset { border:1px solid var(--line); border-radius:4px; margin:8px 0; padding:4px 12px 8px; } form.stack fieldset legend { font-weight:600; }
form.stack label.check { display:block; font-weight:normal; margin:4px 0; }
.setup-box dl { display:grid; grid-template-columns:max-content 1fr; gap:4px 12px; margin:0; } .setup-box dd { margin:0; min-width:0; overflow-wrap:anywhere; } .setup-box h2 { font-size:16px; margin:0 0 8px; }
`;

// Progressive enhancement only: every page works without it. The composer's text is saved as a
// draft while staff type, so a reload, a lost connection or a crash loses nothing.
export const ADMIN_JS = `
(function () {
  var box = document.querySelector('textarea[data-draft]');
  if (!box || !box.form) return;
  var token = box.form.querySelector('input[name="_csrf"]');
  var timer = null;
  var last = box.value;
  // Once the answer is sent the server forgets the draft: nothing may save it again behind it.
  var sent = false;
  function body() { return new URLSearchParams({ _csrf: token ? token.value : '', text: box.value }); }
  function save() {
    timer = null;
    if (sent || box.value === last) return;
    last = box.value;
    fetch(box.getAttribute('data-draft'), { method: 'POST', body: body(), credentials: 'same-origin' }).catch(function () {});
  }
  box.addEventListener('input', function () { if (timer) clearTimeout(timer); timer = setTimeout(save, 800); });
  box.form.addEventListener('submit', function () { sent = true; if (timer) clearTimeout(timer); });
  window.addEventListener('pagehide', function () {
    if (sent || box.value === last) return;
    navigator.sendBeacon(box.getAttribute('data-draft'), body());
  });
})();
`;
