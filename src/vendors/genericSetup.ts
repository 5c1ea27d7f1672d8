// What the Add Connection and Add Principal wizards ask for a generic API, and the connection settings the connections
// schema declares for it (the build composes schemas/connections.schema.json from them). Apart from generic.ts,
// the adapter, because only these wizards and the build read it: the extension carries it in its extras chunk,
// not in the bundle every send loads.
import { setupFieldPatterns } from '../core/connectionSetup';
import type { VendorWithSetup } from '../core/vendor';
import { generic } from './generic';

/** Secret-like property names refused inside "impersonation" as everywhere in the file (the base schema's rule). */
const NO_SECRETS_HERE = Object.fromEntries(
  ['clientSecret', 'secret', 'token', 'password', 'apiKey', 'accessToken', 'refreshToken'].map((name) => [name, { $ref: '#/definitions/forbiddenSecret' }]),
);

export const genericWithSetup: VendorWithSetup = {
  ...generic,
  summary: 'Any other API: impersonation by header or OAuth token exchange, configured with "impersonation".',
  settings: {
    properties: { impersonation: { $ref: '#/definitions/impersonation' } },
    definitions: {
      impersonation: {
        type: 'object',
        description:
          'Generic vendor only: how to send a request as someone else, by header ({"kind": "header"}) or OAuth token exchange ({"kind": "tokenExchange"}).',
        required: ['kind'],
        properties: {
          kind: {
            type: 'string',
            enum: ['header', 'tokenExchange'],
            enumDescriptions: [
              'Send headers naming the principal, e.g. X-Impersonate-User.',
              "Exchange the service token for one of the principal's (OAuth 2.0 token exchange, RFC 8693; Keycloak style).",
            ],
            description: 'How to impersonate: header (send headers naming the principal) or tokenExchange (OAuth 2.0 token exchange).',
          },
        },
        allOf: [
          {
            if: {
              required: ['kind'],
              properties: {
                kind: {
                  const: 'header',
                },
              },
            },
            then: {
              $ref: '#/definitions/headerImpersonation',
            },
          },
          {
            if: {
              required: ['kind'],
              properties: {
                kind: {
                  const: 'tokenExchange',
                },
              },
            },
            then: {
              $ref: '#/definitions/tokenExchangeImpersonation',
            },
          },
        ],
      },
      headerImpersonation: {
        type: 'object',
        description: 'Impersonate by sending headers that name the principal.',
        additionalProperties: false,
        required: ['kind', 'headers'],
        properties: {
          kind: {
            const: 'header',
            description: 'header: send headers naming the principal.',
          },
          headers: {
            type: 'object',
            description: 'Header name → value template, e.g. {"X-Impersonate-User": "{{principal.email}}"}.',
            propertyNames: {
              pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
              patternErrorMessage: "Header names are made of letters, digits and !#$%&'*+.^_`|~- (no spaces or colons).",
            },
            additionalProperties: {
              type: 'string',
              description: 'The header\'s value template, e.g. "{{principal.email}}".',
            },
            allOf: [
              {
                minProperties: 1,
                errorMessage: 'kind "header" needs at least one header, e.g. {"X-Impersonate-User": "{{principal.email}}"}',
              },
            ],
          },
          writesOnly: {
            type: 'boolean',
            description: 'true: send the headers only on mutating requests (POST, PUT, PATCH, DELETE), as an attribution header.',
          },
          ...NO_SECRETS_HERE,
        },
      },
      tokenExchangeImpersonation: {
        type: 'object',
        description: 'Impersonate with an OAuth 2.0 token exchange (RFC 8693): the service token is exchanged for a token of the principal.',
        additionalProperties: false,
        required: ['kind'],
        properties: {
          kind: {
            const: 'tokenExchange',
            description: 'tokenExchange: OAuth 2.0 token exchange (RFC 8693).',
          },
          tokenUrl: {
            type: 'string',
            pattern: '^https?://[^\\s/?#]+[^\\s]*$',
            patternErrorMessage: 'Must be an http:// or https:// URL with a host and no spaces, e.g. https://acme.dealcloud.com.',
            description: "Token endpoint for the exchange; defaults to the connection's token URL.",
          },
          subject: {
            type: 'string',
            minLength: 1,
            description: 'Template for the requested subject; default "{{principal.userId}}", falling back to the principal\'s id.',
          },
          subjectParam: {
            type: 'string',
            minLength: 1,
            description: 'Form field that carries the subject; servers differ (Keycloak: "requested_subject").',
          },
          audience: {
            type: 'string',
            minLength: 1,
            description: 'The audience to request the exchanged token for.',
          },
          ...NO_SECRETS_HERE,
        },
      },
    },
    elsewhere: { impersonation: 'the other vendors impersonate their own way' },
  },
  setup: {
    connectionFields: [
      {
        key: 'baseUrl',
        title: 'base URL',
        prompt: 'The API; requests like "/api/..." are relative to it',
        placeholder: 'https://api.example.com',
        type: 'url',
        ...setupFieldPatterns.url,
      },
      {
        key: 'auth',
        title: 'authentication',
        prompt: 'How Behalf authenticates as the service client',
        choices: [
          { value: 'clientCredentials', label: 'OAuth2 client credentials', detail: 'A client id and token URL here; the client secret in secret storage' },
          { value: 'token', label: 'Static bearer token', detail: 'An API token, kept in secret storage' },
          { value: 'none', label: 'None', detail: 'No authentication' },
        ],
      },
      {
        key: 'impersonation.kind',
        title: 'impersonation',
        prompt: 'How a request is sent as someone else',
        choices: [
          { value: 'header', label: 'Header', detail: 'Send a header naming the principal, e.g. X-Impersonate-User: {{principal.email}}' },
          {
            value: 'tokenExchange',
            label: 'OAuth token exchange (RFC 8693)',
            detail: "Exchange the service token for one of the principal's (Keycloak, Auth0 and others)",
            when: [{ auth: ['clientCredentials', 'token'] }],
          },
        ],
      },
      {
        key: 'tokenUrl',
        title: 'token URL',
        prompt: 'The OAuth token endpoint (client credentials and token exchange)',
        placeholder: 'https://auth.example.com/realms/acme/protocol/openid-connect/token',
        type: 'url',
        ...setupFieldPatterns.url,
        when: [{ auth: ['clientCredentials'] }, { 'impersonation.kind': ['tokenExchange'] }],
      },
      {
        key: 'clientId',
        title: 'client id',
        prompt: 'The OAuth client id (its secret is asked last and kept in secret storage)',
        ...setupFieldPatterns.nonEmpty,
        when: [{ auth: ['clientCredentials'] }],
      },
      {
        key: 'clientId',
        title: 'client id',
        prompt: 'Optional: the client id to name in the token exchange (the API token is the subject_token; it is never sent as a client secret)',
        optional: true,
        when: [{ auth: ['token'], 'impersonation.kind': ['tokenExchange'] }],
      },
      {
        key: 'scopes',
        title: 'scopes',
        prompt: 'Optional: OAuth scopes to request, separated by spaces',
        type: 'list',
        optional: true,
        when: [{ auth: ['clientCredentials'] }],
      },
      {
        key: 'impersonation.headers',
        title: 'impersonation header',
        prompt: 'The header and its value template: {{principal.email}}, {{principal.userId}}, {{principal.id}} or {{principal.name}}',
        default: 'X-Impersonate-User: {{principal.email}}',
        type: 'header',
        pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+\\s*:\\s*\\S",
        patternMessage: 'Name: value, e.g. X-Impersonate-User: {{principal.email}}',
        when: [{ 'impersonation.kind': ['header'] }],
      },
      {
        key: 'impersonation.writesOnly',
        title: 'header on',
        prompt: 'Which requests carry the header',
        type: 'boolean',
        choices: [
          { value: 'false', label: 'Every request', detail: "The principal's identity applies (full)" },
          { value: 'true', label: 'Writes only (POST, PUT, PATCH, DELETE)', detail: 'Attribution only; reads go out as the service client (lite)' },
        ],
        when: [{ 'impersonation.kind': ['header'] }],
      },
      {
        key: 'impersonation.subjectParam',
        title: 'subject parameter',
        prompt: 'The form field that names the principal in the exchange (Keycloak: requested_subject)',
        default: 'requested_subject',
        pattern: '^[A-Za-z0-9_.-]+$',
        patternMessage: 'A form field name: letters, digits, "_", "." and "-"',
        when: [{ 'impersonation.kind': ['tokenExchange'] }],
      },
      {
        key: 'impersonation.subject',
        title: 'subject',
        prompt: "Optional: the template of the subject sent; leave empty for {{principal.userId}} (the principal's id when it has no userId)",
        placeholder: '{{principal.userId}}',
        optional: true,
        when: [{ 'impersonation.kind': ['tokenExchange'] }],
      },
      {
        key: 'impersonation.audience',
        title: 'audience',
        prompt: 'Optional: the audience to request the exchanged token for',
        optional: true,
        when: [{ 'impersonation.kind': ['tokenExchange'] }],
      },
    ],
    secretPrompts: {
      clientCredentials: 'The OAuth client secret',
      token: 'The API token (sent as Authorization: Bearer, and as subject_token in a token exchange)',
    },
    principalFields: ['userId', 'email'],
    principalPrompts: { userId: 'The user id the API expects (token exchange subject)', email: "The user's email (header templates often use it)" },
  },
};
