import { EntitySchema } from '@mikro-orm/core';

/** REMP user group: an arbitrary grouping of users (`/api/v1/users/add-to-group`). */
export interface UserGroupRow {
  id: number;
  name: string;
  createdAt: Date;
}

export const UserGroupEntity = new EntitySchema<UserGroupRow>({
  name: 'UserGroup',
  tableName: 'user_group',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    name: { type: 'string' },
    createdAt: { type: 'Date' },
  },
});

export interface UserGroupMemberRow {
  groupId: number;
  customerId: string;
  createdAt: Date;
}

export const UserGroupMemberEntity = new EntitySchema<UserGroupMemberRow>({
  name: 'UserGroupMember',
  tableName: 'user_group_member',
  properties: {
    groupId: { type: 'integer', primary: true },
    customerId: { type: 'uuid', primary: true },
    createdAt: { type: 'Date' },
  },
});
