// The page's script for analytics-next, bundled by drive.mjs with esbuild. Loads the SDK with
// inline CDN settings (no request to Segment's CDN) and apiHost pointing at the collector,
// makes one call of each kind, and reports back through window.__sdkDone.
import { AnalyticsBrowser } from '@segment/analytics-next'

const params = new URLSearchParams(location.search)
const apiHost = `${params.get('host')}/v1`
const writeKey = params.get('writeKey')

async function run() {
  const [analytics] = await AnalyticsBrowser.load(
    {
      writeKey,
      cdnSettings: {
        integrations: { 'Segment.io': { apiKey: writeKey, apiHost, protocol: 'http' } },
        // The SDK posts its counters to apiHost/m every flushTimer ms (30 s by default):
        // a short timer forces the post the test looks for.
        metrics: { flushTimer: 100, sampleRate: 1 },
      },
    },
    { integrations: { 'Segment.io': { apiHost, protocol: 'http' } } },
  )
  await analytics.page('Docs', 'Browser SDK', { path: '/browser-sdk' })
  await analytics.identify('user_browser_1', { email: 'ada@example.com', plan: 'pro' })
  await analytics.track('Order Completed', { revenue: 42.5, currency: 'EUR' })
  await analytics.group('group_browser_1', { name: 'Analytical Engines' })
  await analytics.alias('user_browser_2', 'user_browser_1')
}

window.__sdkDone = run().then(
  () => 'ok',
  (e) => `failed: ${e?.stack ?? e}`,
)
