// What the Add Connection and Add Principal wizards ask for DealCloud, and the connection settings the connections
// schema declares for it (the build composes schemas/connections.schema.json from them). Apart from dealcloud.ts,
// the adapter, because only these wizards and the build read it: the extension carries it in its extras chunk,
// not in the bundle every send loads.
import { setupFieldPatterns } from '../core/connectionSetup';
import type { VendorWithSetup } from '../core/vendor';
import { DEFAULT_SCOPES, dealCloud } from './dealcloud';

export const dealCloudWithSetup: VendorWithSetup = {
  ...dealCloud,
  summary: 'DealCloud: impersonation through AS-USER proxy assignments (principals need userId).',
  settings: {
    properties: {
      serviceUserId: {
        type: 'string',
        minLength: 1,
        description: 'The service user\'s own DealCloud user id: the proxy user of proxy (AS-USER) assignments, e.g. "6001".',
      },
    },
    rules: [
      {
        comment: 'DealCloud principals need their DealCloud user id.',
        then: {
          properties: { principals: { items: { required: ['userId'], errorMessage: 'dealcloud principals need "userId", the user\'s DealCloud user id' } } },
        },
      },
    ],
  },
  setup: {
    connectionFields: [
      {
        key: 'baseUrl',
        title: 'site URL',
        prompt: 'Your DealCloud site; requests like "/api/rest/v4/data/..." are relative to it',
        placeholder: 'https://yourfirm.dealcloud.com',
        type: 'url',
        ...setupFieldPatterns.url,
      },
      {
        key: 'clientId',
        title: 'client id',
        prompt: "The client id issued with the service user's API key (the key itself is asked last and kept in secret storage)",
        ...setupFieldPatterns.nonEmpty,
      },
      {
        key: 'scopes',
        title: 'scopes',
        prompt: 'data: v4/data and v4/schema; user_management: proxy assignments (Fetch Principals, Create Proxy Assignment)',
        many: true,
        default: DEFAULT_SCOPES.join(' '),
        choices: [
          { value: 'data', label: 'data', detail: 'v4/data and v4/schema' },
          { value: 'user_management', label: 'user_management', detail: 'api/rest/v1/management: proxy assignments' },
          { value: 'publish', label: 'publish' },
          { value: 'backup', label: 'backup' },
        ],
      },
      {
        key: 'serviceUserId',
        title: 'service user id',
        prompt:
          "Optional but recommended: the service user's own numeric DealCloud user id (the proxy user). Create Proxy Assignment needs it, and Fetch Principals lists only its principals with it",
        placeholder: 'e.g. 6001 — leave empty to set it later',
        optional: true,
        pattern: '^\\d+$',
        patternMessage: "A numeric DealCloud user id (the service user's, not a principal's)",
      },
    ],
    secretPrompts: { clientCredentials: "The service user's DealCloud API key (sent as client_secret)", token: 'The API token' },
    principalFields: ['userId', 'email'],
    principalPrompts: { userId: "The principal's numeric DealCloud user id (sent as AS-USER)", email: "The principal's email (optional, for display)" },
  },
};
