import { Type } from 'typebox';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

/** An account as every API answer shows it (CONTRACT §3); why one schema: no route can serialise a field it should not. */
export const AccountView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    username: Type.String(),
    email: Nullable(Type.String()),
    confirmed: Type.Boolean(),
    language: Nullable(Type.String()),
    type: Type.Union([Type.Literal('user'), Type.Literal('guest'), Type.Literal('apikey')]),
    roles: Type.Array(Type.String()),
    groups: Type.Array(Type.String()),
    permissions: Type.Array(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    lastLoginAt: Nullable(Type.String({ format: 'date-time' })),
    hasPassword: Type.Boolean(),
    pendingEmail: Nullable(Type.String()),
  },
  { $id: 'Account', description: 'An account (CONTRACT §3)' },
);
