import type { HubClient } from '../app/hub-client.js';
import type { Hub } from '../app/open-hub.js';
import { servicesClient } from '../app/services-client.js';

/** The CLI working on the database itself; closing it closes the hub. */
export function localClient(hub: Hub): HubClient {
  const client = servicesClient(hub.services, {
    via: `the ${hub.database.kind === 'pglite' ? 'embedded database at' : 'PostgreSQL database'} ${hub.database.location}`,
    executeRuns: true,
  });
  let closed: Promise<void> | undefined;
  return {
    ...client,
    async close(options) {
      await client.close(options);
      await (closed ??= hub.close());
    },
  };
}
