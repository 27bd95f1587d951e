// The page's script for RudderStack JS v3 (the "bundled" build: its plugins are in the bundle,
// none is fetched from RudderStack's CDN), bundled by drive.mjs with esbuild. The source config
// comes from the page's own server (configUrl), with no destinations; events go through the
// beacon transport (navigator.sendBeacon, text/plain, ?writeKey=) to the collector.
import { RudderAnalytics } from '@rudderstack/analytics-js/bundled'

const params = new URLSearchParams(location.search)
const dataPlaneUrl = `http://${params.get('host')}`
const writeKey = params.get('writeKey')

function run() {
  return new Promise((resolve, reject) => {
    const analytics = new RudderAnalytics()
    analytics.load(writeKey, dataPlaneUrl, {
      configUrl: location.origin,
      useBeacon: true,
      // One beacon for the five calls, sent right away instead of after 10 s.
      beaconQueueOptions: { maxItems: 5, flushQueueInterval: 100 },
      polyfillIfRequired: false,
      loadIntegration: false,
      destSDKBaseURL: `${location.origin}/none`,
      pluginsSDKBaseURL: `${location.origin}/none`,
      onLoaded: () => {},
    })
    analytics.ready(() => {
      try {
        analytics.page('Docs', 'Browser SDK', { path: '/browser-sdk' })
        analytics.identify('user_rudder_1', { email: 'ada@example.com', plan: 'pro' })
        analytics.track('Order Completed', { revenue: 42.5, currency: 'EUR' })
        analytics.group('group_rudder_1', { name: 'Analytical Engines' })
        analytics.alias('user_rudder_2')
        resolve()
      } catch (e) {
        reject(e)
      }
    })
  })
}

window.__sdkDone = run().then(
  () => 'ok',
  (e) => `failed: ${e?.stack ?? e}`,
)
