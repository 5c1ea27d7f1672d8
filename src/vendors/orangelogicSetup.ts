// What the Add Connection and Add Principal wizards ask for Orange Logic, and the connection settings the connections
// schema declares for it (the build composes schemas/connections.schema.json from them). Apart from orangelogic.ts,
// the adapter, because only these wizards and the build read it: the extension carries it in its extras chunk,
// not in the bundle every send loads.
import { setupFieldPatterns } from '../core/connectionSetup';
import type { VendorWithSetup } from '../core/vendor';
import { DEFAULT_IMPERSONATION_PARAM, orangeLogic } from './orangelogic';

export const orangeLogicWithSetup: VendorWithSetup = {
  ...orangeLogic,
  summary: 'Orange Logic: start/stop impersonation (principals need userId for full mode, email for lite mode).',
  settings: {
    properties: {
      impersonationParam: {
        type: 'string',
        minLength: 1,
        description: 'The query parameter of start impersonation that carries the principal\'s API id (default "UserAPIID").',
      },
      searchImpersonationParam: {
        type: 'string',
        pattern: '^[A-Za-z0-9_.-]+$',
        description:
          "Only for a site whose Search API names the user to search as in a query parameter: full-mode searches then go out with the service token and this parameter set to the principal's API id, instead of an impersonation session (default: unset, the session token).",
      },
    },
    rules: [
      {
        comment: 'Orange Logic full mode impersonates by API id.',
        when: { required: ['defaultMode'], properties: { defaultMode: { const: 'full' } } },
        then: {
          properties: { principals: { items: { required: ['userId'], errorMessage: 'orangelogic principals need "userId" (their API id) for full mode' } } },
        },
      },
      {
        comment: 'Orange Logic lite mode attributes by email.',
        when: { required: ['defaultMode'], properties: { defaultMode: { const: 'lite' } } },
        then: { properties: { principals: { items: { required: ['email'], errorMessage: 'orangelogic principals need "email" for lite mode' } } } },
      },
      {
        comment: 'Orange Logic without a default mode: each principal needs at least one of userId (full) or email (lite).',
        when: { not: { required: ['defaultMode'] } },
        then: {
          properties: {
            principals: {
              items: {
                if: { not: { required: ['email'] } },
                then: { required: ['userId'], errorMessage: 'orangelogic principals need "userId" (their API id) for full mode or "email" for lite mode' },
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
        title: 'site URL',
        prompt: 'Your Orange Logic (Cortex) server; requests like "/webapi/..." are relative to it. A token is valid on one server only',
        placeholder: 'https://yourfirm.orangelogic.com',
        type: 'url',
        ...setupFieldPatterns.url,
      },
      {
        key: 'auth',
        title: 'authentication',
        prompt: 'How the service account authenticates',
        choices: [
          { value: 'clientCredentials', label: 'OAuth2 client credentials', detail: 'A client id here; its client secret in secret storage' },
          { value: 'token', label: 'Bearer token', detail: 'A non-expiring token kept on a user account, in secret storage' },
        ],
      },
      {
        key: 'clientId',
        title: 'client id',
        prompt: "The OAuth2 client's id (its secret is asked last and kept in secret storage)",
        when: [{ auth: ['clientCredentials'] }],
        ...setupFieldPatterns.nonEmpty,
      },
      {
        key: 'defaultMode',
        title: 'default mode',
        prompt: 'How requests are sent as someone else unless a request says otherwise',
        choices: [
          { value: 'full', label: 'full', detail: 'Start an impersonation session: the principal\'s privileges (needs "Impersonate Another User")' },
          { value: 'lite', label: 'lite', detail: "Your privileges; writes are attributed to the principal's email" },
        ],
      },
      {
        key: 'impersonationParam',
        title: 'impersonation parameter',
        prompt: `The query parameter of start impersonation that carries the user's API id; leave empty for ${DEFAULT_IMPERSONATION_PARAM}`,
        placeholder: DEFAULT_IMPERSONATION_PARAM,
        optional: true,
        pattern: '^[A-Za-z0-9_.-]+$',
        patternMessage: 'A query parameter name: letters, digits, "_", "." and "-"',
        when: [{ defaultMode: ['full'] }],
      },
    ],
    secretPrompts: { clientCredentials: 'The OAuth2 client secret', token: 'The non-expiring bearer token' },
    principalFields: ['userId', 'email'],
    principalPrompts: {
      userId: "The user's Orange Logic API id (full impersonation starts a session with it)",
      email: "The user's email (lite impersonation attributes writes to it)",
    },
  },
};
