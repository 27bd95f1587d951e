// Sends one track, one identify and one page through the real @segment/analytics-node SDK.
//
//   node send.mjs HOST WRITEKEY
//
// HOST is the collector's base URL (e.g. http://127.0.0.1:8088); the SDK posts to HOST/v1/batch.
// Exits 0 only if the SDK reported all three messages delivered, every HTTP answer was a 200 and
// the SDK emitted no error. Used by tests/real_sdks.rs.
import { Analytics } from '@segment/analytics-node'

const [host, writeKey] = process.argv.slice(2)
if (!host || !writeKey) {
  console.error('usage: node send.mjs HOST WRITEKEY')
  process.exit(2)
}

const failures = []
let delivered = 0

const analytics = new Analytics({
  writeKey,
  host,
  // Batch the three calls together (they are sent by closeAndFlush), as a real app would.
  flushAt: 15,
  // A collector failure should surface within seconds, not after ten backed-off retries.
  maxRetries: 2,
  httpRequestTimeout: 10_000,
})

analytics.on('error', (err) => {
  failures.push(`SDK error ${err.code}: ${err.reason?.stack ?? err.reason}`)
})
analytics.on('http_request', (req) => {
  console.error(`send.mjs: ${req.method} ${req.url} (${req.body.length} bytes)`)
})
analytics.on('http_response', (res) => {
  console.error(`send.mjs: HTTP ${res.status} ${res.statusText} from ${res.url}`)
  if (res.status !== 200) {
    failures.push(`HTTP ${res.status} ${res.statusText} from ${res.url}`)
  }
})

const done = (what) => (err) => {
  if (err) {
    failures.push(`${what} was not delivered: ${err?.stack ?? err}`)
  } else {
    delivered++
  }
}

analytics.track(
  {
    userId: 'user_node_1',
    event: 'Order Completed',
    properties: { orderId: 'ord_1001', revenue: 42.5, currency: 'USD', products: [{ sku: 'sku_1', quantity: 2 }] },
  },
  done('track'),
)
analytics.identify(
  {
    userId: 'user_node_1',
    traits: { email: 'ada@example.com', name: 'Ada Lovelace', plan: 'pro' },
  },
  done('identify'),
)
analytics.page(
  {
    userId: 'user_node_1',
    name: 'Pricing',
    properties: { path: '/pricing', url: 'https://example.com/pricing' },
  },
  done('page'),
)

await analytics.closeAndFlush({ timeout: 20_000 })

if (delivered !== 3) {
  failures.push(`the SDK reported ${delivered} of 3 messages delivered`)
}
if (failures.length > 0) {
  for (const failure of failures) console.error(`send.mjs: ${failure}`)
  process.exit(1)
}
console.error('send.mjs: 3 messages delivered')
