import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { HubMetrics } from '../../metrics/hub-metrics.js';
import { errorResponses } from '../http-schemas.js';
import { typed, type App } from '../route-helpers.js';

/** `/metrics` for Prometheus, and the hook counting every HTTP request answered. */
export function metricsRoutes(app: App, services: Services) {
  const metrics = new HubMetrics(services.db, services.feed, services.runs, services.modelCalls);
  app.addHook('onReady', async () => metrics.start());
  app.addHook('preClose', async () => metrics.stop());
  app.addHook('onResponse', async (request, reply) => {
    // The route's pattern, so ids do not make a series each; what matched no route is one series.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observeHttp(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  typed(app).get('/metrics', {
    // Scraped every few seconds: its own request lines would push the server's real ones out of the log.
    logLevel: 'warn',
    schema: {
      tags: ['health'],
      summary: 'Metrics in the Prometheus text format',
      description:
        'wfhub_runs{status} and wfhub_run_queue_depth (from the database), wfhub_tasks{status}, wfhub_run_duration_seconds and ' +
        'wfhub_runs_finished_total{status} (runs ending while this server is up, whichever process ran them), wfhub_model_calls_total, ' +
        'wfhub_model_call_duration_seconds, wfhub_model_call_first_byte_seconds and wfhub_model_tokens_total{kind=prompt|completion} ' +
        '(by source agent|proxy and model), wfhub_http_requests_total and wfhub_http_request_duration_seconds (by route pattern), ' +
        "and Node's process figures (wfhub_process_*, wfhub_nodejs_*). With WFHUB_TOKEN set, scrape with it as a bearer token.",
      response: { 200: z.string(), ...errorResponses },
    },
    handler: async (_request, reply) => reply.header('content-type', metrics.contentType).send(await metrics.text()),
  });
}
