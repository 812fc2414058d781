import { randomUUID } from 'node:crypto';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Invalid, NotFound, conflict } from '../../../platform/errors.js';
import { AccessTokenDefinitionEntity, type AccessTokenDefinitionRow } from './entities.js';
import type { CreateDefinitionInput, UpdateDefinitionInput } from './schemas.js';
import { assertKnownTags } from './template.js';

const invalidDefinition = (field: string, message: string) => new Invalid('invalid_request', `${field}: ${message}`, { fields: { [field]: [message] } });

/**
 * A definition must be usable as saved: unknown #tags are refused here rather than sent to a
 * customer, and a definition that requires verification must be able to deliver the code.
 */
function assertConsistent(definition: Omit<AccessTokenDefinitionRow, 'id' | 'createdAt' | 'updatedAt'>): void {
  if (definition.communicationTemplate !== null && definition.communicationTemplate !== undefined) {
    assertKnownTags(definition.communicationTemplate, 'communication.template');
  }
  if (definition.communicationSubject) assertKnownTags(definition.communicationSubject, 'communication.subject');
  if (definition.requireVerification && !definition.communicationTemplate?.includes('#access_token.verification_code')) {
    throw invalidDefinition('communication.template', 'require_verification needs a communication template with #access_token.verification_code');
  }
  if (definition.communicationChannel === 'EMAIL' && !definition.communicationSubject) {
    throw invalidDefinition('communication.subject', 'an e-mail communication needs a subject');
  }
}

function communicationColumns(communication: CreateDefinitionInput['communication']) {
  return {
    communicationChannel: communication?.channel ?? null,
    communicationSubject: communication?.channel === 'EMAIL' ? (communication.subject ?? null) : null,
    communicationTemplate: communication?.template ?? null,
  };
}

/** Two activations racing for the same classification: the loser is told, not given a 500. */
async function activationRace<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException)
      throw conflict('Another definition of this classification was activated at the same time', 'definition_conflict');
    throw error;
  }
}

/** Activating one deactivates the other active definition of the same classification ("one active"). */
async function deactivateOthers(tx: EntityManager, classification: string | null | undefined, exceptId: string) {
  await tx.nativeUpdate(
    AccessTokenDefinitionEntity,
    { classification: classification ?? null, active: true, id: { $ne: exceptId } },
    { active: false, updatedAt: new Date() },
  );
}

export async function createDefinition(em: EntityManager, input: CreateDefinitionInput): Promise<AccessTokenDefinitionRow> {
  const now = new Date();
  const fields = {
    name: input.name,
    classification: input.classification,
    active: input.active,
    identifierFormat: input.identifier_format,
    passCodeRules: input.pass_code_rules,
    requireVerification: input.require_verification,
    verificationCodeLength: input.verification_code_length,
    allowWithoutCredentials: input.allow_without_credentials,
    assignOnRegistration: input.assign_on_registration,
    ...communicationColumns(input.communication),
    communicatePassCode: input.communicate_pass_code,
  };
  assertConsistent(fields);
  return activationRace(() =>
    em.transactional(async (tx) => {
      const id = randomUUID();
      if (fields.active) await deactivateOthers(tx, fields.classification, id);
      const row = tx.create(AccessTokenDefinitionEntity, { id, ...fields, createdAt: now, updatedAt: now });
      await tx.flush();
      return row;
    }),
  );
}

export async function updateDefinition(em: EntityManager, id: string, input: UpdateDefinitionInput): Promise<AccessTokenDefinitionRow> {
  return activationRace(() =>
    em.transactional(async (tx) => {
      const row = await tx.findOne(AccessTokenDefinitionEntity, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!row) throw new NotFound('not_found', 'Access token definition not found');
      const next = {
        name: input.name ?? row.name,
        classification: input.classification !== undefined ? input.classification : row.classification,
        active: input.active ?? row.active,
        identifierFormat: input.identifier_format ?? row.identifierFormat,
        passCodeRules: input.pass_code_rules ?? row.passCodeRules,
        requireVerification: input.require_verification ?? row.requireVerification,
        verificationCodeLength: input.verification_code_length ?? row.verificationCodeLength,
        allowWithoutCredentials: input.allow_without_credentials ?? row.allowWithoutCredentials,
        assignOnRegistration: input.assign_on_registration ?? row.assignOnRegistration,
        ...(input.communication !== undefined
          ? communicationColumns(input.communication)
          : {
              communicationChannel: row.communicationChannel,
              communicationSubject: row.communicationSubject,
              communicationTemplate: row.communicationTemplate,
            }),
        communicatePassCode: input.communicate_pass_code ?? row.communicatePassCode,
      };
      assertConsistent(next);
      if (next.active) await deactivateOthers(tx, next.classification, row.id);
      Object.assign(row, next, { updatedAt: new Date() });
      await tx.flush();
      return row;
    }),
  );
}

export async function findDefinition(em: EntityManager, id: string): Promise<AccessTokenDefinitionRow | null> {
  return em.findOne(AccessTokenDefinitionEntity, { id });
}

export async function listDefinitions(em: EntityManager): Promise<AccessTokenDefinitionRow[]> {
  return em.find(AccessTokenDefinitionEntity, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
}

/**
 * The definition that governs a new token: the classification's own active definition if it has
 * one (CRM.COM R10: "attributes can be dependent on the Access Token Classifications"), else the
 * active default (classification null).
 */
export async function activeDefinitionFor(em: EntityManager, classification?: string | null): Promise<AccessTokenDefinitionRow | null> {
  if (classification) {
    const own = await em.findOne(AccessTokenDefinitionEntity, { classification, active: true });
    if (own) return own;
  }
  return em.findOne(AccessTokenDefinitionEntity, { classification: null, active: true });
}

export function definitionViewOf(row: AccessTokenDefinitionRow) {
  return {
    id: row.id,
    name: row.name,
    classification: row.classification ?? null,
    active: row.active,
    identifier_format: row.identifierFormat,
    pass_code_rules: row.passCodeRules,
    require_verification: row.requireVerification,
    verification_code_length: row.verificationCodeLength,
    allow_without_credentials: row.allowWithoutCredentials,
    assign_on_registration: row.assignOnRegistration,
    communication:
      row.communicationChannel && row.communicationTemplate
        ? { channel: row.communicationChannel, subject: row.communicationSubject ?? null, template: row.communicationTemplate }
        : null,
    communicate_pass_code: row.communicatePassCode,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
