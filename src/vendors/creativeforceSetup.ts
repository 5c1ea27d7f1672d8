// What the Add Connection and Add Principal wizards ask for Creative Force, and the connection settings the connections
// schema declares for it (the build composes schemas/connections.schema.json from them). Apart from creativeforce.ts,
// the adapter, because only these wizards and the build read it: the extension carries it in its extras chunk,
// not in the bundle every send loads.
import { FIRST_PRINCIPAL, setupFieldPatterns } from '../core/connectionSetup';
import type { VendorWithSetup } from '../core/vendor';
import { DEFAULT_TOKEN_URL, creativeForce } from './creativeforce';

const DEFAULT_GATEWAY_URL = 'https://gateway.creativeforce.io/v1';

export const creativeForceWithSetup: VendorWithSetup = {
  ...creativeForce,
  summary: 'Creative Force: each principal is its own registered app (principals need clientId).',
  settings: {
    properties: {},
    serviceClientOptional:
      'a Creative Force connection may have no app of its own ("clientId"): every principal is a registered app, and each request names the app to send as.',
    rules: [
      {
        comment: 'Without an app of its own ("clientId"), every request goes out as one of the principals\' apps: there must be one.',
        when: { not: { required: ['clientId'] } },
        then: {
          required: ['principals'],
          properties: {
            principals: {
              minItems: 1,
              errorMessage:
                'a creativeforce connection without "clientId" (its own app) sends every request as one of its principals\' apps: add a principal with its app\'s "clientId", or set "clientId"',
            },
          },
          errorMessage:
            'a creativeforce connection without "clientId" (its own app) sends every request as one of its principals\' apps: add "principals", or set "clientId"',
        },
      },
      {
        comment: 'Creative Force principals are registered apps with their own client id.',
        then: {
          properties: {
            principals: {
              items: {
                required: ['clientId'],
                errorMessage:
                  'creativeforce principals need "clientId": each principal is its own registered app (its secret goes in BEHALF_SECRET_<CONNECTION_ID>_<PRINCIPAL_ID>)',
              },
            },
          },
        },
      },
    ],
  },
  setup: {
    connectionFields: [
      {
        key: 'baseUrl',
        title: 'gateway URL',
        prompt: 'The Creative Force Gateway API; requests like "/extpost/tasks/..." are relative to it',
        placeholder: DEFAULT_GATEWAY_URL,
        default: DEFAULT_GATEWAY_URL,
        type: 'url',
        ...setupFieldPatterns.url,
      },
      {
        key: 'tokenUrl',
        title: 'token URL',
        prompt: 'Where app tokens come from (scope cfgateway)',
        placeholder: DEFAULT_TOKEN_URL,
        default: DEFAULT_TOKEN_URL,
        type: 'url',
        ...setupFieldPatterns.url,
      },
      {
        key: 'clientId',
        title: 'Application ID (optional)',
        prompt:
          "Leave empty when every request is sent as a user's own app (Creative Force has no service user: you add the first app next). Or the Application ID of an app to send as when a request names no principal",
        optional: true,
        ...setupFieldPatterns.nonEmpty,
      },
      // No app of its own: the connection needs one principal's app to send anything (the schema requires one).
      {
        key: `${FIRST_PRINCIPAL}id`,
        title: 'first app: principal id',
        prompt: 'A short id for the user of the first registered app, for "# @as <id>" (more apps: Add Principal)',
        when: [{ clientId: [''] }],
        ...setupFieldPatterns.id,
      },
      {
        key: `${FIRST_PRINCIPAL}clientId`,
        title: 'first app: Application ID',
        prompt: 'The Application ID of the app registered on behalf of this user (its Secret Key is asked last)',
        when: [{ clientId: [''] }],
        ...setupFieldPatterns.nonEmpty,
      },
      {
        key: `${FIRST_PRINCIPAL}name`,
        title: 'first app: user name',
        prompt: "The on-behalf user's name, for display (optional)",
        optional: true,
        when: [{ clientId: [''] }],
      },
    ],
    secretPrompts: { clientCredentials: "The registered app's Secret Key" },
    principalFields: ['clientId', 'email'],
    principalPrompts: {
      clientId: 'The Application ID of the app registered on behalf of this user',
      email: "The on-behalf user's email (optional, for display)",
    },
  },
};
