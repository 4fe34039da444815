import { apiPath, type ApiClient } from '../cli/client.ts';
import { listStacks } from './stacks.ts';

export interface ResourceDef {
  uri: string;
  name: string;
  description: string;
  mimeType: 'application/json';
  read(api: ApiClient, org: string): Promise<unknown>;
}

/** The 2 resources of spec §5.3, for the session's org. */
export const RESOURCES: ResourceDef[] = [
  {
    uri: 'kradle://snapshot', name: 'snapshot', mimeType: 'application/json',
    description: "The org's snapshot: config resources of the synced revision and every runtime record",
    read: async (api, org) => (await api.request('GET', apiPath`/api/orgs/${org}/snapshot`)).body,
  },
  {
    uri: 'kradle://stacks', name: 'stacks', mimeType: 'application/json',
    description: "The org's agent stacks with their readiness",
    read: async (api, org) => ({ org, items: await listStacks(api, org) }),
  },
];
