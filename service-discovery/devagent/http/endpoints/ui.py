"""A small read-only HTML page at /ui listing services, instances and check states (contract §12)."""

from __future__ import annotations

from ...agent import Agent
from ..request import Request
from ..response import Response

__all__ = ["UIEndpoints"]

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>devagent: services</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
 h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin: 1.2rem 0 .3rem; }
 table { border-collapse: collapse; width: 100%; margin-bottom: .5rem; }
 th, td { border-bottom: 1px solid #ddd; padding: .25rem .5rem; text-align: left; font-size: .9rem;
          vertical-align: top; }
 .passing { color: #1a7f37; } .warning { color: #9a6700; } .critical { color: #cf222e; }
 .muted { color: #777; font-size: .85rem; } code { font-size: .85rem; }
</style>
</head>
<body>
<h1>Consul dev agent &mdash; <span id="node"></span></h1>
<p class="muted">Read-only view of the catalog; refreshes every 2 s. <span id="status"></span></p>
<div id="services"></div>
<script>
"use strict";
function esc(s) { return String(s).replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",
  '"':"&quot;","'":"&#39;"}[c])); }
function worst(checks) {
  const rank = {passing: 0, warning: 1, critical: 2};
  let w = "passing";
  for (const c of checks) { if ((rank[c.Status] ?? 2) > rank[w]) w = c.Status; }
  return w;
}
async function refresh() {
  try {
    const services = await (await fetch("/v1/catalog/services")).json();
    const parts = [];
    for (const name of Object.keys(services).sort()) {
      const entries = await (await fetch("/v1/health/service/" + encodeURIComponent(name))).json();
      const rows = entries.map(e => {
        const st = worst(e.Checks);
        const checks = e.Checks.map(c => `<div class="${esc(c.Status)}">${esc(c.Status)}: ${esc(c.Name)}` +
          ` <span class="muted">${esc(c.Output || "")}</span></div>`).join("");
        const addr = (e.Service.Address || e.Node.Address) + (e.Service.Port ? ":" + e.Service.Port : "");
        return `<tr><td><code>${esc(e.Service.ID)}</code></td><td>${esc(addr)}</td>` +
          `<td>${esc((e.Service.Tags || []).join(", "))}</td><td class="${esc(st)}">${esc(st)}</td>` +
          `<td>${checks}</td></tr>`;
      }).join("");
      parts.push(`<h2>${esc(name)} <span class="muted">(${entries.length} instance(s))</span></h2>` +
        `<table><tr><th>ID</th><th>Address</th><th>Tags</th><th>Health</th><th>Checks</th></tr>${rows}</table>`);
    }
    document.getElementById("services").innerHTML = parts.join("");
    document.getElementById("status").textContent = "Updated " + new Date().toLocaleTimeString() + ".";
  } catch (err) {
    document.getElementById("status").textContent = "Refresh failed: " + err;
  }
}
fetch("/v1/agent/self").then(r => r.json()).then(s => {
  document.getElementById("node").textContent = s.Config.NodeName + " (" + s.Config.Datacenter + ")";
});
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
"""


class UIEndpoints:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    async def root(self, req: Request, rest: str) -> Response:
        return Response(301, b"", {"Location": "/ui/", "Content-Type": "text/html; charset=utf-8"})

    async def page(self, req: Request, rest: str) -> Response:
        return Response(200, _PAGE.encode(), {"Content-Type": "text/html; charset=utf-8"})
