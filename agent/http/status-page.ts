/**
 * The human status page at `/`: answers "is a test running on this PiKVM?" — the lease and its
 * holder, the idle-release countdown, the USB host, attached media, connected clients, the last
 * kickstart fetches, the signal and a live preview. A constant HTML document whose script polls
 * `api/status` and reloads `frame.jpg` once a second.
 *
 * Every URL in it is relative: behind the nginx add-on the page is `/agent/` and its resources are
 * `/agent/frame.jpg`, `/agent/api/status`; an absolute `/frame.jpg` would reach kvmd instead
 * (nginx/nginx.ctx-server.conf). Served directly it is `/` and the same URLs resolve to `/frame.jpg`.
 *
 * Times: the API gives ISO wall-clock times; the page shows each one as "YYYY-MM-DD hh:mm:ss UTC
 * (age)", the age measured against the agent's clock (the HTTP `Date` header), not the browser's.
 * Data is inserted with textContent only.
 */

const STYLE = `body{font-family:sans-serif;margin:1em;background:#222;color:#ddd}
a{color:#9cf}h1{margin:0 0 .4em;font-size:1.5em}h1 small{font-size:.55em;color:#999;font-weight:normal}
#banner{padding:.6em .8em;border-radius:4px;margin-bottom:1em;background:#333}
#banner b{font-size:1.25em}#banner.held{background:#4a3a10}#banner.free{background:#1f3d1f}#banner.trouble{background:#5a1f1f}
.cols{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}
table{border-collapse:collapse}th,td{text-align:left;vertical-align:top;padding:.25em .6em .25em 0}
th{color:#999;font-weight:normal;white-space:nowrap}#facts{max-width:36em}
h2{font-size:1.1em;margin:1em 0 .3em}#fetches td{padding-right:1.5em}
#media{white-space:pre-line}.online{color:#6c6}.offline,.error{color:#e66}
.stale #banner,.stale figure,.stale #facts td:not(#updated){opacity:.5}
#preview{max-width:100%;border:1px solid #555;display:block}figure{margin:0;flex:1;min-width:320px}
figcaption,footer{color:#999;font-size:.9em;margin-top:.3em}footer{margin-top:1em}pre{white-space:pre-wrap;font-size:.8em}`;

const BODY = `<h1>pikvm-agent <small id="version"></small></h1>
<div id="banner"><b id="lease">loading status…</b><div id="lease-detail"></div></div>
<div class="cols">
<table id="facts">
<tr><th>Signal</th><td id="signal"></td></tr>
<tr><th>USB host</th><td id="usb"></td></tr>
<tr><th>Media</th><td id="media"></td></tr>
<tr><th>Clients</th><td id="clients"></td></tr>
<tr><th>Keyboard, pointer</th><td id="hid"></td></tr>
<tr><th>Updated</th><td id="updated"></td></tr>
</table>
<figure><a href="frame.png"><img id="preview" alt="the SUT's screen"></a>
<figcaption>The SUT's screen, refreshed every second.</figcaption></figure>
</div>
<h2>Last kickstart fetches</h2>
<table id="fetches"></table>
<footer><a href="frame.png">frame.png</a> · <a href="frame.ppm">frame.ppm</a> · <a href="api/status">api/status</a> ·
<a href="api/signal">api/signal</a> · stream.nut?fps=2 (ffmpeg) · stream.ppm?fps=2</footer>
<details><summary>Full status</summary><pre id="raw"></pre></details>`;

// Plain ES2017 in the browser; kept free of template literals so the outer string stays readable.
const SCRIPT = String.raw`
var clockOffset = 0, failingSince = null;
function agentNow() { return Date.now() + clockOffset; }
function $(id) { return document.getElementById(id); }
function put(id, text, cls) { var el = $(id); el.textContent = text; el.className = cls || ''; return el; }
function pad(n) { return (n < 10 ? '0' : '') + n; }
function duration(s) {
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + pad(s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + pad(Math.floor(s / 60) % 60) + ' min';
}
function when(iso) {
  if (!iso) return 'never';
  var d = new Date(iso), age = Math.max(0, Math.round((agentNow() - d.getTime()) / 1000));
  return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
    pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + ' UTC (' + duration(age) + ' ago)';
}
function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }
function controlClients(s) { return s.control ? s.control.clients : s.lease ? s.lease.clients : 0; }
function showLease(s) {
  var l = s.lease, b = $('banner'), clients = controlClients(s);
  if (!l) { b.className = ''; put('lease', 'Hand-off disabled: the agent keeps the devices'); put('lease-detail', ''); return; }
  var detail = [];
  if (l.state === 'idle') { b.className = 'free'; put('lease', 'Free: kvmd has the devices'); }
  else if (l.state === 'held') { b.className = 'held'; put('lease', 'In use by ' + l.holder); detail.push('since ' + when(l.since)); }
  else { b.className = 'trouble'; put('lease', (l.state === 'acquiring' ? 'Taking the devices from kvmd for ' : 'Giving the devices back to kvmd from ') + l.holder); }
  if (l.state === 'held') {
    if (l.idleReleaseInS !== null) detail.push('idle release in ' + duration(l.idleReleaseInS));
    else if (clients > 0) detail.push(plural(clients, 'control client') + ' connected: no idle release');
    else detail.push('no idle release (handoff.idle_release_s: 0)');
  }
  if (l.stoppedServices.length) detail.push('stopped: ' + l.stoppedServices.join(', '));
  if (l.lastError) { b.className = 'trouble'; detail.push('error: ' + l.lastError); }
  put('lease-detail', detail.join(' · '));
}
function showUsb(u) {
  var g = u.gadget || {};
  if (!u.up) { put('usb', 'no gadget (kvmd has the USB port)' + (u.error ? '; ' + u.error : ''), u.error ? 'error' : ''); return; }
  put('usb', (g.hostState || 'unknown') + (g.hostOnline ? ', host reading' : ', host not reading') + ' · UDC ' + (g.udc || 'none') +
    (u.error ? '; ' + u.error : ''), g.hostOnline ? 'online' : 'offline');
}
function showMedia(luns) {
  var text = luns.map(function (m) {
    return 'LUN ' + m.lun + ': ' + (m.file ? m.file + ' (' + (m.cdrom ? 'CD-ROM' : 'disk') + ', ' + (m.readOnly ? 'read-only' : 'read-write') + ')' : 'empty');
  });
  put('media', text.length ? text.join('\n') : 'none');
}
function showFetches(list) {
  var table = $('fetches'), recent = list.slice(-5).reverse();
  table.textContent = '';
  if (!recent.length) { table.insertRow().insertCell().textContent = 'none yet'; return; }
  var head = table.insertRow();
  ['time', 'template', 'client', 'status'].forEach(function (v) { var th = document.createElement('th'); th.textContent = v; head.appendChild(th); });
  recent.forEach(function (f) {
    var row = table.insertRow();
    [when(f.time), f.template, f.client || '?', String(f.status) + (f.error ? ' ' + f.error : '')].forEach(function (v) { row.insertCell().textContent = v; });
    if (f.status >= 400) row.className = 'error';
  });
}
function size(d) { return d.width + 'x' + d.height; }
function show(s) {
  var a = s.agent, sig = s.video.signal, h = s.hid;
  put('version', a.version + (a.simulated ? ' · simulated PiKVM' : '') + ' · running since ' + when(a.since));
  showLease(s);
  put('signal', sig.text + ' · since ' + when(sig.changedAt), sig.online ? 'online' : 'offline');
  showUsb(s.usb);
  showMedia(s.storage);
  put('clients', plural(controlClients(s), 'control client') + ' · ' + plural(s.video.subscribers, 'stream'));
  // The pointer is in the client's space (what os-autoinst calls XRES x YRES), whatever the capture mode.
  put('hid', 'client space ' + size(h.space) + ' · capture mode ' + (s.video.mode ? size(s.video.mode) : 'none') +
    ' · pointer ' + h.pointer.x + ',' + h.pointer.y + (h.pointer.buttons ? ' buttons ' + h.pointer.buttons : ''));
  showFetches(s.kickstart.fetches);
  put('raw', JSON.stringify(s, null, 2));
}
// Opened as /?token=T on a listener with http.token: every request of the page carries it too.
var token = new URLSearchParams(location.search).get('token');
function withToken(url) { return token ? url + (url.indexOf('?') < 0 ? '?' : '&') + 'token=' + encodeURIComponent(token) : url; }
document.querySelectorAll('a[href]').forEach(function (a) { a.setAttribute('href', withToken(a.getAttribute('href'))); });
function poll() {
  fetch(withToken('api/status'), { cache: 'no-store' }).then(function (r) {
    if (!r.ok) throw new Error('HTTP ' + r.status + (r.status === 401 ? ' (log in to the PiKVM again)' : ''));
    var date = Date.parse(r.headers.get('Date') || '');
    clockOffset = isNaN(date) ? 0 : date - Date.now();
    return r.json();
  }).then(function (s) {
    failingSince = null;
    show(s);
    document.body.className = '';
    put('updated', when(new Date(agentNow()).toISOString()));
  }).catch(function (e) {
    failingSince = failingSince || new Date(agentNow()).toISOString();
    document.body.className = 'stale';
    put('updated', 'status unavailable since ' + when(failingSince) + ': ' + e.message, 'error');
  }).then(function () { setTimeout(poll, 1000); });
}
function reloadPreview() {
  var img = new Image();
  img.onload = function () { $('preview').src = img.src; setTimeout(reloadPreview, 1000); };
  img.onerror = function () { setTimeout(reloadPreview, 1000); };
  img.src = withToken('frame.jpg?t=' + Date.now());
}
poll();
reloadPreview();
`;

export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pikvm-agent</title>
<style>${STYLE}</style>
</head>
<body>
${BODY}
<script>${SCRIPT}</script>
</body>
</html>
`;
