"""``GET /dashboard``: a small self-refreshing HTML view of ``/api/routes`` and ``/v1/statistics``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

__all__ = ["router"]

router = APIRouter(tags=["gateway"])

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gateway dashboard</title>
<style>
 body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
 table{border-collapse:collapse;margin:.5em 0 1.5em}
 td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
 th{background:#f3f3f3} .ok{color:#080} .degraded,.starting{color:#b60} .ejected{color:#b00}
 code{font-size:12px}
</style></head><body>
<h1>gateway</h1>
<p>discovery: <b id="disc">…</b> · table age <span id="age">…</span> s · index <span id="idx">…</span>
 · default balancer <span id="lb">…</span> · refreshed <span id="at">…</span></p>
<div id="services"></div>
<h2>Statistics</h2><div id="stats"></div>
<script>
const ENT={'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'};
function esc(s){return String(s).replace(/[&<>"']/g,c=>ENT[c]);}
async function refresh(){
  try{
    const r=await (await fetch('api/routes')).json();
    const d=document.getElementById('disc'); d.textContent=r.discovery; d.className=r.discovery;
    document.getElementById('age').textContent=r.table_age_s;
    document.getElementById('idx').textContent=r.table_index;
    document.getElementById('lb').textContent=r.default_balancer;
    let h='';
    for(const s of r.services){
      h+=`<h3>${esc(s.name)} <small>(${esc(s.balancer)}, ${s.instances.length} instances)</small></h3>`;
      h+='<table><tr><th>id</th><th>url</th><th>in flight</th><th>state</th><th>tags</th></tr>';
      for(const i of s.instances){
        h+=`<tr><td>${esc(i.id)}</td><td>${esc(i.url)}</td><td>${i.in_flight}</td>`+
           `<td class="${i.ejected?'ejected':'ok'}">${i.ejected?'ejected':'routable'}</td>`+
           `<td><code>${esc(i.tags.join(', '))}</code></td></tr>`;
      }
      h+='</table>';
    }
    document.getElementById('services').innerHTML=h||'<p>no services</p>';
    const st=await (await fetch('v1/statistics')).json();
    let t='';
    // every kind of statistics the gateway keeps (route, service, and the flows' flow/flow_node/...)
    for(const [kind,rows] of Object.entries(st)){
      if(typeof rows!=='object'||rows===null||!Object.keys(rows).length) continue;
      t+=`<h3>${kind}</h3><table><tr><th>key</th><th>count</th><th>errors</th>`+
         '<th>p50 ms</th><th>p99 ms</th></tr>';
      for(const [k,v] of Object.entries(rows)){
        t+=`<tr><td>${esc(k)}</td><td>${v.count}</td><td>${v.errors}</td>`+
           `<td>${v.p50_ms}</td><td>${v.p99_ms}</td></tr>`;
      }
      t+='</table>';
    }
    document.getElementById('stats').innerHTML=t;
    document.getElementById('at').textContent=new Date().toLocaleTimeString();
  }catch(e){document.getElementById('disc').textContent='gateway unreachable: '+e;}
}
refresh(); setInterval(refresh, 2000);
</script></body></html>
"""


@router.get("/dashboard", response_class=HTMLResponse, summary="Routing-table dashboard (HTML)")
async def dashboard() -> HTMLResponse:
    return HTMLResponse(_PAGE)
