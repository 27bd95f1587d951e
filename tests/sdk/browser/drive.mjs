// Runs a real browser SDK in headless Chromium against the collector.
//
//   node drive.mjs SDK COLLECTOR WRITEKEY        SDK: analytics-next | rudderstack
//
// COLLECTOR is the collector's host:port (e.g. 127.0.0.1:8707). The SDK's page script
// (pages/SDK.mjs) is bundled with esbuild and served, with an HTML page and RudderStack's source
// config, from a second HTTP server on 127.0.0.1:0: another origin than the collector, so the
// browser applies CORS as it would for a real site. Chromium (/usr/bin/chromium or $CHROMIUM) is
// driven by playwright-core with a fresh profile; requests to anything but loopback are aborted.
//
// Exits 0 once the collector has answered 200 to requests carrying the five messages (and, for
// analytics-next, to at least one metrics post to /v1/m); exits 1 on any other answer from the
// collector, a page error, or when the page reports a failure. Used by tests/real_sdks.rs.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as esbuild from 'esbuild'
import { chromium } from 'playwright-core'

const [sdk, collector, writeKey] = process.argv.slice(2)
const SDKS = {
  // analytics-next posts each call to /v1/{p,i,t,g,a} and its counters to /v1/m.
  'analytics-next': { messages: 5, metrics: 1 },
  // RudderStack's beacon transport batches the calls to /beacon/v1/batch?writeKey=K.
  rudderstack: { messages: 5, metrics: 0 },
}
if (!SDKS[sdk] || !collector || !writeKey) {
  console.error('usage: node drive.mjs analytics-next|rudderstack HOST:PORT WRITEKEY')
  process.exit(2)
}
const want = SDKS[sdk]
const here = new URL('.', import.meta.url).pathname

const bundle = await esbuild.build({
  entryPoints: [join(here, 'pages', `${sdk}.mjs`)],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'chrome120',
  write: false,
  logLevel: 'warning',
})
const script = bundle.outputFiles[0].text
console.log(`drive: bundled ${sdk} (${script.length} bytes)`)

// RudderStack's source config: an enabled source with no destinations and no SDK telemetry.
const sourceConfig = JSON.stringify({
  source: {
    id: 'eventscope-test-source',
    name: 'eventscope test',
    workspaceId: 'eventscope-test',
    enabled: true,
    config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
    destinations: [],
  },
})

const page404 = []
const site = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname
  const send = (type, body) => {
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' })
    res.end(body)
  }
  if (path === '/') {
    send('text/html', `<!doctype html><title>${sdk}</title><script src="/sdk.js"></script>`)
  } else if (path === '/sdk.js') {
    send('text/javascript', script)
  } else if (path.replace(/\/+$/, '') === '/sourceConfig') {
    send('application/json', sourceConfig)
  } else {
    page404.push(req.url)
    res.writeHead(404).end()
  }
})
await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${site.address().port}`

const failures = []
const blocked = []
let messages = 0
let metrics = 0
let progress = () => {}
const collectorOrigin = `http://${collector}`

const profile = mkdtempSync(join(tmpdir(), 'eventscope-chromium-'))
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // Chromium's own background calls (updates, sync, QUIC probes) are refused on machines
  // without internet and only slow the start; a sandbox needs privileges CI may not have.
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
})
try {
  // Nothing leaves the machine: the SDKs must work from the page's own files.
  await context.route(
    (url) => !['127.0.0.1', 'localhost'].includes(url.hostname),
    (route) => {
      blocked.push(route.request().url())
      return route.abort()
    },
  )
  context.on('response', async (response) => {
    const url = new URL(response.url())
    if (url.origin !== collectorOrigin || response.request().method() !== 'POST') return
    const status = response.status()
    if (status !== 200) {
      failures.push(`${status} from POST ${url.pathname}: ${await response.text().catch(() => '')}`)
    } else if (url.pathname === '/v1/m') {
      metrics += 1
    } else {
      let body = {}
      try {
        body = JSON.parse(response.request().postData() ?? '{}')
      } catch {}
      messages += Array.isArray(body.batch) ? body.batch.length : 1
    }
    console.log(`drive: ${status} POST ${url.pathname} (messages ${messages}, metrics ${metrics})`)
    progress()
  })
  const page = await context.newPage()
  page.on('pageerror', (e) => failures.push(`page error: ${e.stack ?? e}`))
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.log(`drive: console.${m.type()}: ${m.text()}`)
  })
  const query = new URLSearchParams({ host: collector, writeKey })
  await page.goto(`${origin}/?${query}`)
  const outcome = await page.evaluate(() => window.__sdkDone)
  if (outcome !== 'ok') failures.push(`the page says: ${outcome}`)
  // The SDK sends in the background after its calls resolve: wait for the collector's answers.
  // A guard against a hang (the test's own deadline is longer), not a timing assertion.
  await new Promise((resolve) => {
    const guard = setTimeout(() => {
      failures.push(`after 60 s the collector had answered ${messages}/${want.messages} messages, ${metrics}/${want.metrics} metrics posts`)
      resolve()
    }, 60_000)
    progress = () => {
      if (failures.length > 0 || (messages >= want.messages && metrics >= want.metrics)) {
        clearTimeout(guard)
        resolve()
      }
    }
    progress()
  })
} catch (e) {
  failures.push(`driver: ${e.stack ?? e}`)
} finally {
  await context.close().catch(() => {})
  site.close()
  rmSync(profile, { recursive: true, force: true })
}
if (blocked.length > 0) console.log(`drive: blocked (not loopback): ${blocked.join(', ')}`)
if (page404.length > 0) console.log(`drive: the page asked for missing files: ${page404.join(', ')}`)
if (failures.length > 0) {
  console.error(`drive: ${sdk} FAILED\n  ${failures.join('\n  ')}`)
  process.exit(1)
}
console.log(`drive: ${sdk} delivered ${messages} messages and ${metrics} metrics posts`)
