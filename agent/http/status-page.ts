/**
 * The human status page at `/`: signal state and a live preview (the `<img>` reloads
 * /frame.jpg once a second; the state line polls /api/signal). Plain HTML, no assets.
 */
import type { SignalState } from '../video/frame';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function describeSignal(s: SignalState): string {
  const mode = s.width && s.height ? `${s.width}x${s.height}` : 'unknown mode';
  return s.online ? `online, ${mode}` : `offline (${s.reason ?? 'no-signal'}), last mode ${mode}`;
}

export function renderStatusPage(signal: SignalState): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>pikvm-agent</title>
<style>body{font-family:sans-serif;margin:1em;background:#222;color:#ddd}img{max-width:100%;border:1px solid #555}
.online{color:#6c6}.offline{color:#e66}a{color:#9cf}</style>
</head>
<body>
<h1>pikvm-agent</h1>
<p>Signal: <span id="signal" class="${signal.online ? 'online' : 'offline'}">${escapeHtml(describeSignal(signal))}</span></p>
<p><img id="preview" src="/frame.jpg" alt="latest frame"></p>
<p><a href="/frame.png">/frame.png</a> · <a href="/frame.ppm">/frame.ppm</a> · <a href="/api/status">/api/status</a> ·
/stream.nut?fps=2 (for ffmpeg) · /stream.ppm?fps=2</p>
<script>
setInterval(function () {
  var img = new Image();
  img.onload = function () { document.getElementById('preview').src = img.src; };
  img.src = '/frame.jpg?t=' + Date.now();
}, 1000);
setInterval(function () {
  fetch('/api/signal').then(function (r) { return r.json(); }).then(function (s) {
    var el = document.getElementById('signal');
    el.className = s.online ? 'online' : 'offline';
    el.textContent = s.text;
  }).catch(function () {});
}, 2000);
</script>
</body>
</html>
`;
}
