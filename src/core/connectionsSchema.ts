// The connections file's JSON schema, composed from the vendor-neutral base (connections.base.schema.json) and
// what each vendor declares about its own connection settings (VendorDefinition.settings). The build writes the
// result to schemas/connections.schema.json (scripts/build-schema.mjs), which editors and the loader use; the
// core never names a vendor: the list is passed in.

import base from './connections.base.schema.json';

export { CORE_CONNECTION_KEYS } from './model';

export type SchemaFragment = Readonly<Record<string, unknown>>;

/** A rule on every connection of one vendor: `then` applies when `vendor` is the vendor's id (and `when` holds). */
export interface VendorSchemaRule {
  /** Why the rule exists, kept in the schema as $comment. */
  comment: string;
  /** Further conditions besides the vendor (JSON-schema `if` keywords: required, properties, not). */
  when?: SchemaFragment;
  then: SchemaFragment;
}

/** What a vendor adds to a connection in the file, beside the vendor-neutral properties. */
export interface VendorSettings {
  /** Connection properties only this vendor reads, as JSON-schema fragments (their descriptions show in editors). */
  properties: Readonly<Record<string, SchemaFragment>>;
  /** Schema definitions the properties refer to (`#/definitions/<name>`). */
  definitions?: Readonly<Record<string, SchemaFragment>>;
  /** Rules on this vendor's connections (which principal fields it needs, in which mode). */
  rules?: readonly VendorSchemaRule[];
  /** Per property: what to tell someone who sets it on another vendor's connection, after "only … is configured with". */
  elsewhere?: Readonly<Record<string, string>>;
  /**
   * Why this vendor's connections need no connection-level "clientId" with client credentials (each principal brings
   * its own client, and a request names one): the base rule requiring it then leaves this vendor out. The vendor's
   * own rules say what it needs instead.
   */
  serviceClientOptional?: string;
}

export interface VendorSchemaPart {
  id: string;
  /** One line for the `vendor` value in editors: how this vendor acts as a user and what principals need. */
  summary: string;
  settings?: VendorSettings;
}

type MutableSchema = Record<string, unknown>;

/** The base rule that makes client credentials need the connection's "clientId". */
function requiresServiceClientId(rule: unknown): rule is MutableSchema {
  const then = (rule as MutableSchema | undefined)?.then as MutableSchema | undefined;
  return Array.isArray(then?.required) && then.required.includes('clientId');
}

/** The whole connections schema for these vendors. Throws when two vendors declare the same setting or definition. */
export function composeConnectionsSchema(vendors: readonly VendorSchemaPart[]): MutableSchema {
  const schema = structuredClone(base) as unknown as MutableSchema;
  const definitions = schema.definitions as Record<string, MutableSchema>;
  const connection = definitions.connection;
  const properties = connection.properties as Record<string, unknown>;
  const rules = connection.allOf as unknown[];
  const baseRules = [...rules];
  const ids = vendors.map((v) => v.id);

  properties.vendor = {
    type: 'string',
    enum: ids,
    enumDescriptions: vendors.map((v) => v.summary),
    description: `Which API this is: ${ids.join(', ')}.`,
  };

  const owners = new Map<string, string[]>();
  for (const vendor of vendors) {
    const settings = vendor.settings;
    if (!settings) continue;
    for (const [name, fragment] of Object.entries(settings.properties)) {
      if (name in properties && !owners.has(name)) throw new Error(`${vendor.id} declares "${name}", a property every connection has`);
      if (!owners.has(name)) properties[name] = fragment;
      else if (JSON.stringify(properties[name]) !== JSON.stringify(fragment)) throw new Error(`${vendor.id} and another vendor declare "${name}" differently`);
      owners.set(name, [...(owners.get(name) ?? []), vendor.id]);
    }
    for (const [name, fragment] of Object.entries(settings.definitions ?? {})) {
      if (name in definitions) throw new Error(`${vendor.id} declares the schema definition "${name}" twice or over the base`);
      definitions[name] = fragment;
    }
    for (const rule of settings.rules ?? []) {
      const when = (rule.when ?? {}) as MutableSchema;
      rules.push({
        $comment: rule.comment,
        if: {
          ...when,
          required: ['vendor', ...((when.required as string[] | undefined) ?? [])],
          properties: { vendor: { const: vendor.id }, ...((when.properties as MutableSchema | undefined) ?? {}) },
        },
        then: rule.then,
      });
    }
  }

  // The base rule "client credentials need a clientId" leaves out the vendors whose principals bring their own client.
  const exempt = vendors.filter((v) => v.settings?.serviceClientOptional !== undefined);
  if (exempt.length > 0) {
    const rule = baseRules.find(requiresServiceClientId);
    if (!rule) throw new Error('a vendor declares serviceClientOptional, but the base schema has no rule requiring "clientId"');
    const ids = exempt.map((v) => v.id);
    rule.$comment =
      `${typeof rule.$comment === 'string' ? rule.$comment : ''} Not for ${ids.join(', ')}: ${exempt.map((v) => v.settings?.serviceClientOptional).join(' ')}`.trim();
    rule.if = { ...(rule.if as MutableSchema), not: { required: ['vendor'], properties: { vendor: { enum: ids } } } };
  }

  // A vendor's setting on another vendor's connection means nothing there: say so instead of ignoring it.
  for (const [name, ownedBy] of owners) {
    const others = ids.filter((id) => !ownedBy.includes(id));
    if (others.length === 0) continue;
    const elsewhere = vendors.map((v) => v.settings?.elsewhere?.[name]).find((text) => text !== undefined);
    rules.push({
      $comment: `Only ${ownedBy.join(' and ')} connections are configured with "${name}".`,
      if: { required: ['vendor'], properties: { vendor: { enum: others } } },
      then: {
        properties: {
          [name]: { not: {}, errorMessage: `only the ${ownedBy.join(' and ')} vendor is configured with "${name}"${elsewhere ? `; ${elsewhere}` : ''}` },
        },
      },
    });
  }
  return schema;
}
